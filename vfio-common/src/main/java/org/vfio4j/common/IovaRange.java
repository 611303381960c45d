package org.vfio4j.common;

/**
 * A range of I/O virtual addresses the IOMMU accepts ({@code struct vfio_iova_range}); {@code end} is inclusive,
 * as in the kernel.
 */
public record IovaRange(long start, long end) {
    public IovaRange {
        if (Long.compareUnsigned(start, end) > 0) {
            throw new IllegalArgumentException("IOVA range start " + Check.hex(start) + " > end " + Check.hex(end));
        }
    }

    /** True when {@code [iova, iova + size)} lies inside this range (unsigned arithmetic, no overflow). */
    public boolean contains(long iova, long size) {
        if (size <= 0) {
            return false;
        }
        long last = iova + size - 1;
        return Long.compareUnsigned(last, iova) >= 0 && Long.compareUnsigned(iova, start) >= 0
                && Long.compareUnsigned(last, end) <= 0;
    }

    @Override
    public String toString() {
        return "[" + Check.hex(start) + ", " + Check.hex(end) + "]";
    }
}
