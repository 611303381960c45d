/**
 * An ARM virt machine model: memory map, GIC, PL011, PCIe host, platform bus and device tree, assembled with Guice and extended by device plugin jars.
 */
@NonNullByDefault
package org.vfio4j.virt;

import org.eclipse.jdt.annotation.NonNullByDefault;
