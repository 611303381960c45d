package org.vfio4j.pci;

import java.util.ArrayList;
import java.util.List;

/**
 * A half-open range {@code [start, end)} of offsets inside a BAR.
 *
 * <p>Why: splitting a BAR into directly mapped and trapped parts is range subtraction (mmap areas
 * minus the MSI-X table and PBA pages); a tiny value type keeps that arithmetic testable.
 */
record ByteRange(long start, long end) {

    ByteRange {
        if (end < start) {
            throw new IllegalArgumentException("range end " + end + " before start " + start);
        }
    }

    long size() {
        return end - start;
    }

    boolean contains(long offset, int size) {
        return offset >= start && offset + size <= end;
    }

    /** Whether {@code [offset, offset + size)} shares at least one byte with this range. */
    boolean overlaps(long offset, int size) {
        return offset < end && start < offset + size;
    }

    /** This range widened outwards to page boundaries. */
    ByteRange pageAligned(long page) {
        return new ByteRange(Math.floorDiv(start, page) * page, Math.ceilDiv(end, page) * page);
    }

    /** {@code ranges} (sorted, disjoint) minus every range of {@code holes}. */
    static List<ByteRange> subtract(List<ByteRange> ranges, List<ByteRange> holes) {
        List<ByteRange> out = new ArrayList<>(ranges);
        for (ByteRange hole : holes) {
            List<ByteRange> next = new ArrayList<>();
            for (ByteRange r : out) {
                if (hole.end <= r.start || hole.start >= r.end) {
                    next.add(r);
                    continue;
                }
                if (hole.start > r.start) {
                    next.add(new ByteRange(r.start, hole.start));
                }
                if (hole.end < r.end) {
                    next.add(new ByteRange(hole.end, r.end));
                }
            }
            out = next;
        }
        out.sort((a, b) -> Long.compare(a.start, b.start));
        return out;
    }

    /** The parts of {@code [0, size)} not covered by {@code covered} (sorted, disjoint). */
    static List<ByteRange> gaps(long size, List<ByteRange> covered) {
        return subtract(List.of(new ByteRange(0, size)), covered);
    }
}
