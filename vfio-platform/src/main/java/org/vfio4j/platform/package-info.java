/**
 * The guest-facing model of an assigned platform (non-PCI) device: MMIO regions, IRQs and its device-tree node.
 */
@NonNullByDefault
package org.vfio4j.platform;

import org.eclipse.jdt.annotation.NonNullByDefault;
