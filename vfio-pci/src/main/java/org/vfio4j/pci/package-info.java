/**
 * The guest-facing model of an assigned PCI device: config-space virtualisation, BARs, MSI/MSI-X, INTx and ROM on top of vfio-common.
 */
@NonNullByDefault
package org.vfio4j.pci;

import org.eclipse.jdt.annotation.NonNullByDefault;
