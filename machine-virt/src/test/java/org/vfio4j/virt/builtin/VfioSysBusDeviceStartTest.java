package org.vfio4j.virt.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.FakeVfioKernel;
import org.vfio4j.common.GuestContainer;
import org.vfio4j.common.KvmVfioDevice;
import org.vfio4j.common.dt.DtEncoding;
import org.vfio4j.platform.SyntheticSysfs;
import org.vfio4j.virt.AssembledMachine;
import org.vfio4j.virt.CommandLine;
import org.vfio4j.virt.VirtMachine;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.LiveDevice;
import org.vfio4j.virt.device.RunningGuest;
import org.vfio4j.virt.emu.MmioDevice;
import org.vfio4j.virt.inject.VirtModules;

import com.google.inject.Guice;

/**
 * {@link VfioSysBusDevice} as a {@link LiveDevice}, without VFIO or KVM: the guest lines it routes are the SPIs its
 * node's {@code interrupts} names (the numbers {@link RunningGuest#router} and KVM's SPI routes take), and a
 * device that cannot be opened is a {@link DeviceException} naming the {@code -device}, the host device and the
 * VFIO failure with its advice, having asked the guest for nothing. The real start (a PL031 in a guest) is
 * {@code Pl031PassthroughLabTest}.
 */
class VfioSysBusDeviceStartTest {

    private static VfioSysBusDevice rtc(Path dir) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(dir);
        Path dev = s.device("amba", "9010000.pl031", "vfio-amba", 4242, true, new String[] {"arm,pl031"},
                new long[] {0x9010000, 0x1000}, SyntheticSysfs.LEVEL);
        Path kernel = Files.write(dir.resolve("Image"), new byte[4096]);
        String[] args = {"-kernel", kernel.toString(), "-device", "platform-stub,compat=acme,,stub",
                "-device", "vfio-amba,id=rtc,x-no-iommu=on,sysfsdev=" + dev};
        AssembledMachine m = Guice.createInjector(VirtModules.machine(CommandLine.parse(args).config(), List.of()))
                .getInstance(VirtMachine.class).assemble();
        return (VfioSysBusDevice) m.devices().stream().filter(d -> d.id().equals("rtc")).findFirst().orElseThrow();
    }

    @Test
    void itsGuestLinesAreTheSpisItsNodeNames(@TempDir Path dir) throws Exception {
        VfioSysBusDevice rtc = rtc(dir);
        assertInstanceOf(LiveDevice.class, rtc);
        int[] interrupts = DtEncoding.cells(DtEncoding.encode(rtc.deviceTreeNode().property("interrupts").orElseThrow().value(),
                label -> 0));
        List<GuestInterrupt.Line> lines = new AllocationPlacement(rtc.allocation(), List.of(0x1000L)).lines();
        assertEquals(List.of(new GuestInterrupt.Line(interrupts[1])), lines);
        assertEquals(113, interrupts[1], "the stub took SPI 112, the PL031 the next one");
        assertEquals(List.of(113), rtc.allocation().spis());
    }

    @Test
    void aDeviceThatCannotBeOpenedIsADeviceExceptionSayingWhichAndWhy(@TempDir Path dir) throws Exception {
        VfioSysBusDevice rtc = rtc(dir);
        RecordingGuest guest = new RecordingGuest();
        DeviceException e = assertThrows(DeviceException.class, () -> rtc.start(guest));
        assertTrue(e.getMessage().startsWith("-device vfio-amba,id=rtc (host 9010000.pl031): cannot start it: open /dev/vfio/"),
                e.getMessage());
        assertEquals(List.of(), guest.calls, "nothing may be asked of the guest before the device is open");
        assertEquals(0, rtc.activity().trappedAccesses());
        assertEquals(List.of(), rtc.activity().routes());
    }

    /** Records what a device asks; fails on every request, which a device that never opened must not make. */
    private static final class RecordingGuest implements RunningGuest {
        final List<String> calls = new ArrayList<>();

        @Override
        public Attachment mapMemory(String what, long guestAddress, MemorySegment host) {
            calls.add("map " + what);
            throw new IllegalStateException("unexpected");
        }

        @Override
        public Attachment trap(String what, MmioRange range, MmioDevice device) {
            calls.add("trap " + what);
            throw new IllegalStateException("unexpected");
        }

        @Override
        public IrqRouter router(int devid) {
            return new IrqRouter() {
                @Override
                public IrqRoute routeEdge(GuestInterrupt target, EventFd trigger) {
                    calls.add("edge " + target);
                    throw new IllegalStateException("unexpected");
                }

                @Override
                public IrqRoute routeLevel(GuestInterrupt.Line target, EventFd trigger, EventFd resample) {
                    calls.add("level " + target);
                    throw new IllegalStateException("unexpected");
                }

                @Override
                public boolean supportsResample() {
                    return true;
                }
            };
        }

        @Override
        public void setSpiLevel(int spi, boolean asserted) {
            calls.add("spi " + spi);
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
            calls.add("kvm-vfio");
            throw new IllegalStateException("unexpected");
        }

        @Override
        public GuestContainer vfio() {
            return new GuestContainer(new FakeVfioKernel().opener(), ram(), ramRange().base(), GuestContainer.Listener.NONE);
        }
    }
}
