package org.vfio4j.pci;

/** The address space a BAR decodes in, from bit 0 of the BAR. */
public enum BarSpace {
    /** Memory space (MMIO). */
    MEMORY,
    /** I/O port space. */
    IO
}
