package org.vfio4j.platform;

/**
 * Serves trapped guest accesses to a range; offsets are relative to the start of the trapped range.
 *
 * <p>Why its own interface: the machine's MMIO exit dispatch calls it for every trapped access; the device
 * model forwards to the VFIO region (pread/pwrite on the device fd) and notes the access for the user-space
 * unmask fallback.
 */
public interface MmioHandler {
    /** A guest read of {@code width} bytes (1, 2, 4 or 8) at {@code offset}. */
    long read(long offset, int width);

    /** A guest write of the low {@code width} bytes of {@code value} at {@code offset}. */
    void write(long offset, int width, long value);
}
