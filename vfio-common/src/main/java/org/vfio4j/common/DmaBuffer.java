package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Page-aligned memory of its own, mapped for DMA at an IOVA the container chose: what a user-level driver
 * needs for descriptor rings and data buffers.
 *
 * <p>Why: drivers should not have to pick IOVAs or manage pinned memory; one object owns the memory (anonymous
 * mmap), its IOVA and its mapping, and {@link #close()} releases all three in the right order (unmap, then
 * free).
 *
 * {@snippet :
 * try (DmaBuffer buf = container.allocate(4096, DmaPermission.READ_WRITE)) {
 *     buf.segment().set(ValueLayout.JAVA_INT, 0, 0xcafe);
 *     bar0.write64(0x80, buf.iova());      // tell the device where it is
 * }
 * }
 */
public final class DmaBuffer implements AutoCloseable {
    private final Arena arena;
    private final DmaMapping mapping;
    private final java.util.function.Consumer<DmaBuffer> onClose;

    DmaBuffer(Arena arena, DmaMapping mapping, java.util.function.Consumer<DmaBuffer> onClose) {
        this.arena = arena;
        this.mapping = mapping;
        this.onClose = onClose;
    }

    /** The memory, usable from any thread until {@link #close()}. */
    public MemorySegment segment() {
        return mapping.segment();
    }

    /** The address the device uses. */
    public long iova() {
        return mapping.iova();
    }

    /** Size in bytes (a multiple of the IOMMU page size). */
    public long size() {
        return mapping.size();
    }

    /** The underlying mapping. */
    public DmaMapping mapping() {
        return mapping;
    }

    /** Unmaps, then frees the memory; idempotent. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            try {
                mapping.close();
            } finally {
                arena.close();
                onClose.accept(this);
            }
        }
    }
}
