package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
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
    /** Every combination of permissions as one immutable set, indexed by a bit per ordinal (no copy per map). */
    private static final List<Set<DmaPermission>> PERMISSION_SETS = permissionSets();

    // Kept small (40 bytes with compressed oops): every live mapping is one of these, and 1 GiB in 4 KiB pages is
    // 262,144 of them for the collector to trace. The permissions are a bit mask and the arena's tie is found
    // from the segment's scope, so neither is a field; the IOVA index keeps its own arrays.
    private final DmaMapper mapper;
    private final MemorySegment segment;
    private final long iova;
    private final byte permissionBits;
    private volatile boolean closed;
    // Its place in its arena's list of live mappings, threaded through the mapping (guarded by the DmaMapper).
    @Nullable DmaMapping arenaPrev;
    @Nullable DmaMapping arenaNext;

    DmaMapping(DmaMapper mapper, MemorySegment segment, long iova, Set<DmaPermission> permissions) {
        this.mapper = mapper;
        this.segment = segment;
        this.iova = iova;
        this.permissionBits = permissions == DmaPermission.READ_WRITE ? READ_WRITE_BITS : bits(permissions);
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
                + Check.hex(segment.address()) + " " + permissions();
    }
}
