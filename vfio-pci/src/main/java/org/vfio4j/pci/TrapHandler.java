package org.vfio4j.pci;

/**
 * Handles guest accesses to a trapped part of a BAR (or the ROM).
 *
 * <p>Why: the machine dispatches an MMIO/PIO exit here; the model decides whether the bytes are the
 * emulated MSI-X table, the PBA, or plain device registers reached through the region's read/write.
 * Offsets are relative to the start of the mapping the handler was given with.
 */
public interface TrapHandler {

    /** Guest read of {@code size} (1, 2, 4 or 8) bytes; returns the value, little-endian. */
    long read(long offset, int size);

    /** Guest write of {@code size} bytes. */
    void write(long offset, int size, long value);
}
