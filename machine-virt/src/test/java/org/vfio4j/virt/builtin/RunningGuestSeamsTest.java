package org.vfio4j.virt.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.FakeVfioKernel;
import org.vfio4j.common.GuestContainer;
import org.vfio4j.common.KvmVfioDevice;
import org.vfio4j.platform.GuestMmio;
import org.vfio4j.platform.MmioHandler;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.device.RunningGuest;
import org.vfio4j.virt.emu.MmioDevice;

/**
 * vfio-platform's seams over a {@link RunningGuest}: a mapping is a memory slot at the same address, a trap is
 * a bus window over {@code [address, address + size)} whose accesses reach the handler with window offsets,
 * a guest line is the SPI of the same number; trapped accesses and user-space line changes are counted, mapped
 * accesses cannot be (they never reach user space).
 */
class RunningGuestSeamsTest {

    @Test
    void mapsTrapsAndLinesGoToTheGuestAndTheUserSpaceOnesAreCounted() {
        FakeGuest guest = new FakeGuest();
        PassthroughActivity activity = new PassthroughActivity();
        RunningGuestSeams seams = new RunningGuestSeams(guest, activity);
        List<String> handled = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            GuestMmio.MmioMapping mapped = seams.map("rtc region 0", 0xc000000L, arena.allocate(4096));
            GuestMmio.MmioMapping trapped = seams.trap("rtc region 1", 0xc010000L, 0x100, new MmioHandler() {
                @Override
                public long read(long offset, int width) {
                    handled.add("read " + offset + "/" + width);
                    return 0x31;
                }

                @Override
                public void write(long offset, int width, long value) {
                    handled.add("write " + offset + "/" + width + "=" + value);
                }
            });
            assertEquals(List.of("map rtc region 0 at 0xc000000+0x1000", "trap rtc region 1 " + new MmioRange(0xc010000L, 0x100)),
                    guest.calls);
            assertEquals(0x31, guest.window.read(0xe0, 4));
            guest.window.write(0x0c, 4, 1);
            assertEquals(List.of("read 224/4", "write 12/4=1"), handled);
            seams.setLevel(new GuestInterrupt.Line(112), true);
            seams.setLevel(new GuestInterrupt.Line(112), false);
            mapped.close();
            trapped.close();
            assertEquals(List.of("spi 112 true", "spi 112 false", "closed rtc region 0", "closed rtc region 1"),
                    guest.calls.subList(2, guest.calls.size()));
        }
        assertEquals(2, activity.trappedAccesses());
        assertEquals(2, activity.userSpaceLineChanges());
    }

    private static final class FakeGuest implements RunningGuest {
        final List<String> calls = new ArrayList<>();
        MmioDevice window = new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                throw new IllegalStateException("no window");
            }

            @Override
            public void write(long offset, int size, long value) {
                throw new IllegalStateException("no window");
            }
        };

        @Override
        public Attachment mapMemory(String what, long guestAddress, MemorySegment host) {
            calls.add("map " + what + " at 0x" + Long.toHexString(guestAddress) + "+0x" + Long.toHexString(host.byteSize()));
            return () -> calls.add("closed " + what);
        }

        @Override
        public Attachment trap(String what, MmioRange range, MmioDevice device) {
            calls.add("trap " + what + " " + range);
            window = device;
            return () -> calls.add("closed " + what);
        }

        @Override
        public IrqRouter router(int devid) {
            throw new IllegalStateException("not used by the seams");
        }

        @Override
        public void setSpiLevel(int spi, boolean asserted) {
            calls.add("spi " + spi + " " + asserted);
        }

        @Override
        public MmioRange ramRange() {
            return new MmioRange(0x4000_0000L, 0x1000_0000L);
        }

        @Override
        public MemorySegment ram() {
            return MemorySegment.NULL;
        }

        @Override
        public KvmVfioDevice kvmVfio() {
            throw new IllegalStateException("not used by the seams");
        }

        @Override
        public GuestContainer vfio() {
            return new GuestContainer(new FakeVfioKernel().opener(), ram(), ramRange().base(), GuestContainer.Listener.NONE);
        }
    }
}
