package org.vfio4j.virt.emu;

/**
 * A device model reached through trapped MMIO: the bus calls it with the offset into its window.
 *
 * <p>Why offsets and sizes only: the same model serves any base address the memory map gives it, and
 * the vCPU loop stays ignorant of devices. Calls may come from several vCPU threads; implementations
 * synchronise their own state.
 */
public interface MmioDevice {
    /** A read of {@code size} bytes (1, 2, 4 or 8) at {@code offset}: the value, zero-extended. */
    long read(long offset, int size);

    /** A write of {@code size} bytes of {@code value} at {@code offset}. */
    void write(long offset, int size, long value);
}
