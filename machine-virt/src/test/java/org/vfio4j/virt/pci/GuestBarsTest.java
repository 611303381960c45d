package org.vfio4j.virt.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.FakeVfioKernel;
import org.vfio4j.common.GuestContainer;
import org.vfio4j.common.KvmVfioDevice;
import org.vfio4j.pci.BarSpace;
import org.vfio4j.pci.PciBarMapper;
import org.vfio4j.pci.TrapHandler;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.board.PcieHost;
import org.vfio4j.virt.device.RunningGuest;
import org.vfio4j.virt.emu.MmioDevice;

/** BAR placement through the host bridge's windows: what becomes a slot, a trap, or nothing. */
class GuestBarsTest {
    /** Records what the device asked of the machine. */
    private static final class Recorder implements RunningGuest {
        final List<String> log = new ArrayList<>();
        MmioDevice lastTrap = new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
            }
        };

        @Override
        public Attachment mapMemory(String what, long guestAddress, MemorySegment host) {
            log.add(String.format("slot 0x%x+0x%x", guestAddress, host.byteSize()));
            return () -> log.add(String.format("unslot 0x%x", guestAddress));
        }

        @Override
        public Attachment trap(String what, MmioRange range, MmioDevice device) {
            log.add(String.format("trap 0x%x+0x%x", range.base(), range.size()));
            lastTrap = device;
            return () -> log.add(String.format("untrap 0x%x", range.base()));
        }

        @Override
        public IrqRouter router(int devid) {
            throw new AssertionError("not used");
        }

        @Override
        public void setSpiLevel(int spi, boolean asserted) {
            throw new AssertionError("not used");
        }

        @Override
        public MmioRange ramRange() {
            return MemoryMap.PCIE_PIO;
        }

        @Override
        public MemorySegment ram() {
            throw new AssertionError("not used");
        }

        @Override
        public KvmVfioDevice kvmVfio() {
            throw new AssertionError("not used");
        }

        @Override
        public GuestContainer vfio() {
            return new GuestContainer(new FakeVfioKernel().opener(), ram(), ramRange().base(), GuestContainer.Listener.NONE);
        }
    }

    private static final TrapHandler ECHO = new TrapHandler() {
        @Override
        public long read(long offset, int size) {
            return offset * 10 + size;
        }

        @Override
        public void write(long offset, int size, long value) {
        }
    };

    @Test
    void barsInsideTheWindowsAreMappedOrTrappedAndIoPortsLandInThePioWindow() {
        Recorder g = new Recorder();
        List<String> warnings = new ArrayList<>();
        GuestBars bars = new GuestBars("d0", g, new PcieHost(), warnings::add);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment page = a.allocate(0x4000, 0x1000);
            PciBarMapper.Mapping m = bars.mapDirect(0x1000_0000L, page);
            PciBarMapper.Mapping high = bars.mapDirect(0x80_0000_0000L, page);
            PciBarMapper.Mapping t = bars.mapTrapped(BarSpace.MEMORY, 0x1000_4000L, 0x1000, ECHO);
            PciBarMapper.Mapping io = bars.mapTrapped(BarSpace.IO, 0x1000, 0x20, ECHO);
            assertEquals(42, g.lastTrap.read(4, 2), "the trap reaches the handler with its offset");
            m.close();
            high.close();
            t.close();
            io.close();
        }
        assertEquals(List.of("slot 0x10000000+0x4000", "slot 0x8000000000+0x4000", "trap 0x10004000+0x1000",
                "trap 0x3eff1000+0x20", "unslot 0x10000000", "unslot 0x8000000000", "untrap 0x10004000",
                "untrap 0x3eff1000"), g.log);
        assertEquals(4, warnings.size(), "each placement said once: " + warnings);
        assertEquals(true, warnings.get(0).contains("BAR area 0x10000000+0x4000 mapped into the guest"), warnings.get(0));
    }

    @Test
    void barsOutsideTheWindowsDecodeNothingAndAreReported() {
        Recorder g = new Recorder();
        List<String> warnings = new ArrayList<>();
        GuestBars bars = new GuestBars("d0", g, new PcieHost(), warnings::add);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment page = a.allocate(0x4000, 0x1000);
            bars.mapDirect(0x4000_0000L, page).close();           // guest RAM
            bars.mapDirect(0x4000_0000L, page).close();           // the same again
            bars.mapDirect(0xffff_c000L, page).close();           // a sizing pattern, above the 32-bit window
            bars.mapTrapped(BarSpace.IO, 0xfff0, 0x20, ECHO).close(); // past the 64 KiB of ports
        }
        assertEquals(List.of(), g.log);
        assertEquals(4, warnings.size(), warnings.toString());
        assertEquals(true, warnings.get(0).contains("memory BAR at 0x40000000+0x4000 is outside the PCIe host's windows"),
                warnings.get(0));
    }

    @Test
    void aGuestMovingABarInALoopPrintsABoundedNumberOfLines() {
        Recorder g = new Recorder();
        List<String> lines = new ArrayList<>();
        GuestBars bars = new GuestBars("d0", g, new PcieHost(), lines::add);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment page = a.allocate(0x4000, 0x1000);
            for (long i = 0; i < 200_000; i++) {
                bars.mapDirect(0x1000_0000L + (i % 64) * 0x4000, page).close();   // inside: a slot each time
                bars.mapDirect(0x4000_0000L + i * 0x4000, page).close();           // outside: a new address each time
            }
        }
        assertEquals(400_000, g.log.size(), "every inside placement became a slot and went again");
        assertEquals(org.vfio4j.common.RateLimitedLog.STANDARD_BUDGET, lines.size(), lines.toString());
    }
}
