package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** First-fit IOVA search inside valid ranges, around busy extents. */
class IovaAllocatorTest {
    record Busy(long iova, long size) implements IovaExtent {
    }

    private final TreeMap<Long, Busy> busy = new TreeMap<>(Long::compareUnsigned);
    /** The x86 shape: everything below the MSI window, and above it up to 39 bits. */
    private final List<IovaRange> x86 = List.of(new IovaRange(0xfef0_0000L, (1L << 39) - 1),
            new IovaRange(0, 0xfedf_ffffL));

    private void take(long iova, long size) {
        busy.put(iova, new Busy(iova, size));
    }

    @Test
    void startsAtLowestAndSkipsBusyExtents() {
        assertEquals(OptionalLong.of(IovaAllocator.LOWEST), IovaAllocator.find(x86, busy, 4096, 4096));
        take(IovaAllocator.LOWEST, 8192);
        take(IovaAllocator.LOWEST + 12288, 4096);
        // The 4 KiB hole between the two extents fits a page, not two.
        assertEquals(OptionalLong.of(IovaAllocator.LOWEST + 8192), IovaAllocator.find(x86, busy, 4096, 4096));
        assertEquals(OptionalLong.of(IovaAllocator.LOWEST + 16384), IovaAllocator.find(x86, busy, 8192, 4096));
    }

    @Test
    void respectsAlignment() {
        take(IovaAllocator.LOWEST, 4096);
        assertEquals(OptionalLong.of(0x20_0000L), IovaAllocator.find(x86, busy, 4096, 0x20_0000L));
    }

    @Test
    void neverStraddlesAReservedWindow() {
        // Fill the low range up to 1 MiB below the MSI window; a 2 MiB request must go above the window.
        take(IovaAllocator.LOWEST, 0xfee0_0000L - IovaAllocator.LOWEST - 0x10_0000L);
        OptionalLong got = IovaAllocator.find(x86, busy, 0x20_0000L, 4096);
        assertEquals(OptionalLong.of(0xfef0_0000L), got);
    }

    @Test
    void fullSpaceGivesEmpty() {
        List<IovaRange> tiny = List.of(new IovaRange(IovaAllocator.LOWEST, IovaAllocator.LOWEST + 0xfff));
        assertTrue(IovaAllocator.find(tiny, busy, 4096, 4096).isPresent());
        take(IovaAllocator.LOWEST, 4096);
        assertFalse(IovaAllocator.find(tiny, busy, 4096, 4096).isPresent());
    }

    @Test
    void rangeAtTheTopOfTheAddressSpaceDoesNotOverflow() {
        List<IovaRange> top = List.of(new IovaRange(0xffff_ffff_ffff_0000L, -1L));
        assertEquals(OptionalLong.of(0xffff_ffff_ffff_0000L), IovaAllocator.find(top, busy, 4096, 4096));
        take(0xffff_ffff_ffff_0000L, 0x10000L - 4096);
        assertEquals(OptionalLong.of(0xffff_ffff_ffff_f000L), IovaAllocator.find(top, busy, 4096, 4096));
        assertFalse(IovaAllocator.find(top, busy, 8192, 4096).isPresent());
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> IovaAllocator.find(x86, busy, 0, 4096));
        assertThrows(IllegalArgumentException.class, () -> IovaAllocator.find(x86, busy, 4096, 3000));
    }

    @Test
    void rangeContainment() {
        IovaRange r = new IovaRange(0x1000, 0x1fff);
        assertTrue(r.contains(0x1000, 0x1000));
        assertFalse(r.contains(0x1000, 0x1001));
        assertFalse(r.contains(0xfff, 2));
        assertFalse(new IovaRange(0, -1L).contains(-4096L, 8192), "wrap-around is never contained");
        assertThrows(IllegalArgumentException.class, () -> new IovaRange(2, 1));
    }
}
