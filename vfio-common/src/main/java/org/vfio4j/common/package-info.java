/**
 * Host-side VFIO over Panama FFM: containers, IOMMU groups, devices with regions and IRQs, DMA mappings, and the irqfd seam through which a machine routes device interrupts.
 */
@NonNullByDefault
package org.vfio4j.common;

import org.eclipse.jdt.annotation.NonNullByDefault;
