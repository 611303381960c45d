package org.vfio4j.common;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalLong;

import org.eclipse.jdt.annotation.Nullable;

/**
 * First-fit search for free I/O virtual addresses inside the container's valid IOVA ranges, around what is
 * already mapped.
 *
 * <p>Why: a user-level driver wants "a DMA buffer somewhere the device can reach", not to plan an address
 * space; the valid ranges differ between hosts (x86 reserves the MSI window 0xfee00000, Arm hosts their
 * ITS doorbells), so the allocator must take them from the kernel. All arithmetic is unsigned.
 */
public final class IovaAllocator {
    /** Allocation starts here, so IOVA 0 (often a device's "not programmed" value) is never handed out. */
    public static final long LOWEST = 0x10_0000L;

    private IovaAllocator() {
    }

    /**
     * The lowest {@code align}-aligned IOVA at or above {@link #LOWEST} where {@code size} bytes fit inside one
     * of {@code valid} without touching any extent of {@code busy} (keyed by start IOVA, unsigned order).
     */
    public static OptionalLong find(List<IovaRange> valid, NavigableMap<Long, ? extends IovaExtent> busy, long size,
            long align) {
        return find(valid, new Extents() {
            @Override
            public @Nullable IovaExtent floor(long iova) {
                Map.Entry<Long, ? extends IovaExtent> e = busy.floorEntry(iova);
                return e == null ? null : e.getValue();
            }

            @Override
            public @Nullable IovaExtent higher(long iova) {
                Map.Entry<Long, ? extends IovaExtent> e = busy.higherEntry(iova);
                return e == null ? null : e.getValue();
            }
        }, size, align);
    }

    /** Busy extents ordered by start IOVA (unsigned), as the search needs them. */
    interface Extents {
        /** The extent with the greatest start at or below {@code iova}. */
        @Nullable IovaExtent floor(long iova);

        /** The extent with the least start strictly above {@code iova}. */
        @Nullable IovaExtent higher(long iova);
    }

    static OptionalLong find(List<IovaRange> valid, Extents busy, long size, long align) {
        if (size <= 0 || align <= 0 || Long.bitCount(align) != 1) {
            throw new IllegalArgumentException("size must be > 0 and align a power of two (size " + size
                    + ", align " + align + ")");
        }
        List<IovaRange> sorted = valid.stream()
                .sorted(Comparator.comparing(IovaRange::start, Long::compareUnsigned)).toList();
        for (IovaRange r : sorted) {
            long cand = alignUp(Long.compareUnsigned(r.start(), LOWEST) < 0 ? LOWEST : r.start(), align);
            while (cand != 0 && r.contains(cand, size)) {
                IovaExtent below = busy.floor(cand);
                if (below != null && Long.compareUnsigned(cand, end(below)) < 0) {
                    cand = alignUp(end(below), align);
                    continue;
                }
                IovaExtent above = busy.higher(cand);
                if (above != null && Long.compareUnsigned(above.iova(), cand + size) < 0) {
                    cand = alignUp(end(above), align);
                    continue;
                }
                return OptionalLong.of(cand);
            }
        }
        return OptionalLong.empty();
    }

    private static long end(IovaExtent e) {
        return e.iova() + e.size();
    }

    /** Rounds up to a multiple of {@code align}; 0 on overflow past 2^64 (no such address). */
    static long alignUp(long v, long align) {
        long r = (v + align - 1) & -align;
        return Long.compareUnsigned(r, v) < 0 ? 0 : r;
    }
}
