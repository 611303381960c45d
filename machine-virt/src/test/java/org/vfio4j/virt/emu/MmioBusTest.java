package org.vfio4j.virt.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.RateLimitedLog;
import org.vfio4j.virt.board.MmioRange;

class MmioBusTest {
    /** Records what it was asked; reads answer base-tag + offset. */
    private static final class Probe implements MmioDevice {
        final long tag;
        final List<String> log = new ArrayList<>();

        Probe(long tag) {
            this.tag = tag;
        }

        @Override
        public long read(long offset, int size) {
            log.add("r" + size + "@" + offset);
            return tag + offset;
        }

        @Override
        public void write(long offset, int size, long value) {
            log.add("w" + size + "@" + offset + "=" + value);
        }
    }

    private final List<String> warnings = new ArrayList<>();
    private final MmioBus bus = new MmioBus(warnings::add);
    private final Probe a = new Probe(0x1000);
    private final Probe b = new Probe(0x2000);

    MmioBusTest() {
        bus.add(new MmioRange(0x0900_0000L, 0x1000), "a", a);
        bus.add(new MmioRange(0x0901_0000L, 0x1000), "b", b);
    }

    @Test
    void accessesReachTheDeviceWhoseWindowHoldsThemWithOffsets() {
        assertEquals(0x1000 + 0x18, bus.read(0x0900_0018L, 4));
        bus.write(0x0901_0ffcL, 4, 7);
        assertEquals(List.of("r4@24"), a.log);
        assertEquals(List.of("w4@4092=7"), b.log);
        assertTrue(warnings.isEmpty());
    }

    @Test
    void unclaimedAddressesReadZeroDropWritesAndAreReported() {
        assertEquals(0, bus.read(0x0902_0000L, 4));
        bus.write(0x0902_0004L, 4, 1);
        assertEquals(0, bus.read(0x0900_0ffeL, 4), "an access running past a window's end is not the device's");
        assertTrue(a.log.isEmpty() && b.log.isEmpty());
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("0x9020000"), warnings.get(0));
    }

    @Test
    void aGuestSweepingTheAddressSpacePrintsABoundedNumberOfLinesAndKeepsNothing() {
        for (long page = 0; page < 1_000_000; page++) {
            bus.read(0x40_0000_0000L + (page << 12), 4);
        }
        assertEquals(RateLimitedLog.STANDARD_BUDGET, warnings.size(), "one interval's budget, the rest counted");
    }

    @Test
    void unclaimedReadsInAPcieWindowReadAllOnes() {
        bus.unclaimedReadsAllOnes(new MmioRange(0x1000_0000L, 0x1000_0000L));
        assertEquals(0xffff_ffffL, bus.read(0x1000_4000L, 4), "no BAR there: an Unsupported Request");
        assertEquals(-1L, bus.read(0x1fff_fff8L, 8));
        assertEquals(0, bus.read(0x2000_0000L, 4), "outside the window: no responder, zero");
    }

    @Test
    void aDeviceThatThrowsReadsAllOnesDropsTheWriteAndTheBusGoesOn() {
        bus.add(new MmioRange(0x0903_0000L, 0x1000), "broken", new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                throw new IllegalStateException("pread: EIO");
            }

            @Override
            public void write(long offset, int size, long value) {
                throw new IllegalStateException("pwrite: EIO");
            }
        });
        for (int i = 0; i < 1000; i++) {
            assertEquals(0xffffL, bus.read(0x0903_0010L, 2));
            bus.write(0x0903_0010L, 4, i);
        }
        assertEquals(RateLimitedLog.STANDARD_BUDGET, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("broken") && warnings.getFirst().contains("EIO"), warnings.getFirst());
        assertEquals(0x1000 + 8, bus.read(0x0900_0008L, 4), "the other devices still answer");
    }

    @Test
    void anEmptyPcieBusReadsAllOnesInEveryWidth() {
        AbsentDevices ecam = new AbsentDevices();
        assertEquals(0xffL, ecam.read(0, 1));
        assertEquals(0xffffL, ecam.read(2, 2));
        assertEquals(0xffff_ffffL, ecam.read(0x8000, 4));
        assertEquals(-1L, ecam.read(0, 8));
    }

    @Test
    void overlappingWindowsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bus.add(new MmioRange(0x0900_0800L, 0x1000), "c", new Probe(0)));
        assertTrue(e.getMessage().contains("overlaps a"), e.getMessage());
    }

    @Test
    void aClosedWindowLeavesTheBusAndItsRangeCanBeTakenAgain() {
        Probe c = new Probe(0x3000);
        MmioBus.Window w = bus.add(new MmioRange(0x1000_0000L, 0x1000), "c", c);
        assertEquals(0x3000 + 8, bus.read(0x1000_0008L, 4));
        w.close();
        assertEquals(0, bus.read(0x1000_0008L, 4), "after close the range is unclaimed");
        w.close();
        Probe d = new Probe(0x4000);
        bus.add(new MmioRange(0x1000_0000L, 0x1000), "d", d);
        w.close();
        assertEquals(0x4000 + 8, bus.read(0x1000_0008L, 4), "closing an old window twice must not remove its successor");
        assertEquals(List.of("r4@8"), c.log);
    }
}
