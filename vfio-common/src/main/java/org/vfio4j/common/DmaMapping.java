package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.eclipse.jdt.annotation.Nullable;

/**
 * A handle on an IOMMU mapping of a {@link MemorySegment} at an I/O virtual address: while it is live the
 * device may access the segment's memory with {@link #permissions()}.
 *
 * <p>Why an object: the mapping pins process memory and lets a device touch it, so its lifetime must be
 * explicit and bounded by the memory's. {@link #close()} unmaps it; closing the segment's {@code Arena}
 * unmaps it too (before the memory is freed), and so do {@link VfioContainer#unmap(long, long)} and closing
 * the container. The container's bookkeeping does not keep the handle: a caller that unmaps by IOVA may drop
 * it at once.
 */
public final class DmaMapping implements IovaExtent, AutoCloseable {
    /** Every combination of permissions as one immutable set, indexed by a bit per ordinal (no copy per map). */
    private static final List<Set<DmaPermission>> PERMISSION_SETS = permissionSets();

    // A handle, not the bookkeeping: the container's IovaIndex holds each mapping as primitives, so a caller
    // that drops this object (a vIOMMU shadow unmapping by IOVA) leaves nothing behind for the collector. The
    // generation tells this mapping from a later one at the same IOVA.
    private final DmaMapper mapper;
    private final MemorySegment segment;
    private final long iova;
    private final long generation;
    private final byte permissionBits;
    private volatile boolean closed;

    DmaMapping(DmaMapper mapper, MemorySegment segment, long iova, long generation, byte permissionBits) {
        this.mapper = mapper;
        this.segment = segment;
        this.iova = iova;
        this.generation = generation;
        this.permissionBits = permissionBits;
    }

    /** The permission bits of {@code permissions} (one per ordinal), as the index stores them. */
    static byte bitsOf(Set<DmaPermission> permissions) {
        return permissions == DmaPermission.READ_WRITE ? READ_WRITE_BITS : bits(permissions);
    }

    private static final byte READ_WRITE_BITS = bits(DmaPermission.READ_WRITE);

    private static byte bits(Set<DmaPermission> permissions) {
        int b = 0;
        for (DmaPermission p : permissions) {
            b |= 1 << p.ordinal();
        }
        return (byte) b;
    }

    private static List<Set<DmaPermission>> permissionSets() {
        DmaPermission[] all = DmaPermission.values();
        List<Set<DmaPermission>> sets = new ArrayList<>(1 << all.length);
        for (int b = 0; b < 1 << all.length; b++) {
            EnumSet<DmaPermission> s = EnumSet.noneOf(DmaPermission.class);
            for (DmaPermission p : all) {
                if ((b & 1 << p.ordinal()) != 0) {
                    s.add(p);
                }
            }
            sets.add(s.equals(DmaPermission.READ_WRITE) ? DmaPermission.READ_WRITE : Set.copyOf(s));
        }
        return List.copyOf(sets);
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
        return PERMISSION_SETS.get(permissionBits);
    }

    long generation() {
        return generation;
    }

    /** False once unmapped (by {@link #close()}, the arena, the container, or {@link VfioContainer#unmap}). */
    public boolean isLive() {
        return !closed && mapper.isLive(this);
    }

    /** Unmaps the range from the IOMMU; idempotent, and a no-op once the mapping was unmapped another way. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            mapper.unmap(this);
        }
    }

    /** The same mapping: same container, IOVA and generation (handles from {@link VfioContainer#mappings()} are new objects). */
    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof DmaMapping m && m.mapper == mapper && m.iova == iova && m.generation == generation;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(iova) * 31 + Long.hashCode(generation);
    }

    @Override
    public String toString() {
        return describe(iova, size(), segment.address(), permissionBits);
    }

    static String describe(long iova, long size, long address, byte permissionBits) {
        return "DMA mapping [" + Check.hex(iova) + ", " + Check.hex(iova + size) + ") of " + Check.hex(address) + " "
                + PERMISSION_SETS.get(permissionBits);
    }
}
