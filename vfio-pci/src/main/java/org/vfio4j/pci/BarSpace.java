package org.vfio4j.pci;

/**
 * The address space a BAR decodes in, from bit 0 of the BAR.
 *
 * <p>Why: the machine keeps separate memory and I/O-port address spaces (and only memory can be
 * mapped straight to the device), so every trapped mapping says which one it belongs to.
 */
public enum BarSpace {
    /** Memory space (MMIO). */
    MEMORY,
    /** I/O port space. */
    IO
}
