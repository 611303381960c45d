package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.util.Set;

import org.eclipse.jdt.annotation.Nullable;

/**
 * A live IOMMU mapping of a {@link MemorySegment} at an I/O virtual address: while it is open the device may
 * access the segment's memory with {@link #permissions()}.
 *
 * <p>Why an object: the mapping pins process memory and lets a device touch it, so its lifetime must be
 * explicit and bounded by the memory's. {@link #close()} unmaps it; closing the segment's {@code Arena}
 * unmaps it too (before the memory is freed), and so does closing the container.
 */
public final class DmaMapping implements IovaExtent, AutoCloseable {
    private final DmaMapper mapper;
    private final MemorySegment segment;
    private final long iova;
    private final Set<DmaPermission> permissions;
    private volatile boolean closed;
    // Bookkeeping threaded through the mapping so a mapping costs one object (guarded by the DmaMapper):
    // its place in the container's IOVA treap and in its arena's list of live mappings.
    @Nullable DmaMapping left;
    @Nullable DmaMapping right;
    int priority;
    @Nullable DmaMapping arenaPrev;
    @Nullable DmaMapping arenaNext;
    @Nullable ArenaTie tie;

    DmaMapping(DmaMapper mapper, MemorySegment segment, long iova, Set<DmaPermission> permissions) {
        this.mapper = mapper;
        this.segment = segment;
        this.iova = iova;
        this.permissions = Set.copyOf(permissions);
    }

    @Override
    public long iova() {
        return iova;
    }

    @Override
    public long size() {
        return segment.byteSize();
    }

    /** The process memory the device sees at {@link #iova()}. */
    public MemorySegment segment() {
        return segment;
    }

    /** The permissions the mapping was made with. */
    public Set<DmaPermission> permissions() {
        return permissions;
    }

    /** False once unmapped (by {@link #close()}, the arena, or the container). */
    public boolean isLive() {
        return !closed;
    }

    void markClosed() {
        closed = true;
    }

    /** Unmaps the range from the IOMMU; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            mapper.unmap(this);
        }
    }

    @Override
    public String toString() {
        return "DMA mapping [" + Check.hex(iova) + ", " + Check.hex(iova + size()) + ") of "
                + Check.hex(segment.address()) + " " + permissions;
    }
}
