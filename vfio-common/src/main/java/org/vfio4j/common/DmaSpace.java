package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;

/**
 * An IOMMU address space that devices DMA through: a VFIO container ({@link VfioContainer}, Type1) or an
 * iommufd IOAS ({@link IommufdIoas}).
 *
 * <p>Why one interface: what a driver or a VMM does with DMA (map memory at an IOVA, unmap by range, allocate
 * a mapped buffer, let an arena's close unmap first) does not depend on the kernel interface underneath, and
 * both backends share one implementation of it, checks and bookkeeping included.
 *
 * {@snippet :
 * DmaSpace dma = iommufd ? IommufdIoas.open() : VfioContainer.open();
 * try (DmaArena pool = dma.newDmaArena()) {
 *     MemorySegment ring = pool.allocate(4096, 4096);
 *     dma.map(pool, ring, 0x10_0000L, DmaPermission.READ_WRITE);
 * }
 * }
 */
public sealed interface DmaSpace extends AutoCloseable permits VfioContainer, IommufdIoas {
    /**
     * Maps {@code segment} for device access at {@code iova}. The IOVA is checked against the valid ranges and
     * existing mappings before the kernel is asked; the mapping is unmapped by {@link DmaMapping#close()}, by
     * closing {@code owner} (the arena that allocated the segment) or by closing this space.
     *
     * @see DmaPermission for how READ/WRITE/EXEC/NO_EXEC map onto the kernel
     */
    DmaMapping map(Arena owner, MemorySegment segment, long iova, Set<DmaPermission> permissions);

    /**
     * Unmaps every mapping inside {@code [iova, iova + size)}, as a vIOMMU or a memory listener reports
     * unmaps: by range, without the handles. Returns how many mappings there were (0 is not an error). Refused
     * before anything changes when a mapping crosses either end of the range: the IOMMU cannot unmap part of
     * one. Handles of the unmapped mappings report {@link DmaMapping#isLive()} false.
     */
    int unmap(long iova, long size);

    /**
     * A new arena whose close unmaps this space's mappings of its memory before freeing it: the cheapest
     * owner for memory mapped with {@link #map} (no per-mapping registration on the arena; see {@link DmaArena}).
     */
    DmaArena newDmaArena();

    /** Allocates {@code size} bytes (rounded up to the IOMMU page size) of zeroed memory mapped at a free IOVA. */
    DmaBuffer allocate(long size, Set<DmaPermission> permissions);

    /** The live DMA mappings, in IOVA order. */
    List<DmaMapping> mappings();

    /** The valid IOVA ranges and page sizes, asked of the kernel now. */
    IommuInfo iommuInfo();

    /** Closes what was allocated and opened through this space and drops every mapping; idempotent. */
    @Override
    void close();
}
