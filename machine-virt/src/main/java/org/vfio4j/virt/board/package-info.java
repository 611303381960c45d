/**
 * The fixed parts of the virt board, modelled on QEMU's machvirt (hw/arm/virt.c): memory map, GICv3
 * with ITS, CPUs with PSCI, the architected timer, the PL011 console, the generic ECAM PCIe host and
 * the boot layout. Each part knows its addresses and interrupts and returns its own device-tree
 * node; {@link org.vfio4j.virt.VirtMachine} puts them together.
 */
@NonNullByDefault
package org.vfio4j.virt.board;

import org.eclipse.jdt.annotation.NonNullByDefault;
