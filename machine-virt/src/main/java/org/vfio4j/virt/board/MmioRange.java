package org.vfio4j.virt.board;

/**
 * A guest-physical address range.
 *
 * <p>Why a record: ranges are passed between the memory map, buses, devices and (later) KVM memory
 * slots; a value with {@code base}/{@code size} and overlap checks is harder to misuse than pairs of
 * longs.
 */
public record MmioRange(long base, long size) {
    public MmioRange {
        if (base < 0 || size <= 0 || base + size < base) {
            throw new IllegalArgumentException("bad range base=0x" + Long.toHexString(base) + " size=0x" + Long.toHexString(size));
        }
    }

    /** One past the last byte. */
    public long end() {
        return base + size;
    }

    /** Whether the two ranges share a byte. */
    public boolean overlaps(MmioRange o) {
        return base < o.end() && o.base < end();
    }

    /** Whether {@code address} lies inside this range. */
    public boolean contains(long address) {
        return address >= base && address - base < size;
    }

    /** Whether {@code o} lies entirely inside this range. */
    public boolean contains(MmioRange o) {
        return o.base >= base && o.end() <= end();
    }

    @Override
    public String toString() {
        return String.format("0x%010x-0x%010x (%s)", base, end() - 1, Sizes.human(size));
    }
}
