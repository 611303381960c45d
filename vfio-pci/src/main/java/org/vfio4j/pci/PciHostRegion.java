package org.vfio4j.pci;

import java.lang.foreign.MemorySegment;
import java.util.List;

import org.vfio4j.common.SparseArea;

/**
 * The host side of one BAR or ROM region, as the guest model needs it.
 *
 * <p>Why a narrow interface and not vfio-common's region class directly: the model only reads,
 * writes and maps; keeping the seam this small lets unit tests use an in-memory device, and lets the
 * real {@code VfioRegion} satisfy it without the model knowing about ioctls.
 */
public interface PciHostRegion {

    /** Region size in bytes (the BAR size). */
    long size();

    /** Whether the kernel allows mmap of (parts of) this region. */
    boolean mappable();

    /**
     * The parts of the region that may be mmapped (VFIO sparse-mmap areas, or the whole region),
     * page-aligned, sorted by offset. Empty when the region cannot be mapped.
     */
    List<SparseArea> mmapAreas();

    /** Reads {@code size} (1, 2, 4 or 8) bytes at {@code offset}, little-endian. */
    long read(long offset, int size);

    /** Writes {@code size} (1, 2, 4 or 8) bytes at {@code offset}, little-endian. */
    void write(long offset, int size, long value);

    /**
     * Maps one of {@link #mmapAreas()}; the segment stays valid until the host device is closed.
     * Calling twice for the same area returns the same mapping.
     */
    MemorySegment map(SparseArea area);

}
