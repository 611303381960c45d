package org.vfio4j.virt.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.jdt.annotation.Nullable;
import org.junit.jupiter.api.Test;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestContainer;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.KvmVfioDevice;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.LiveDevice;
import org.vfio4j.virt.device.RunningGuest;
import org.vfio4j.virt.emu.MmioDevice;

/** A root port's slot: what it starts and stops, where the guest finds what is in it, how it interrupts. */
class PcieRootPortTest {
    private static final int PORT_DEVFN = 2 << 3;

    /** A guest that records the MSI routes made and the lines reported. */
    private static final class Guest implements RunningGuest {
        final List<String> log = new CopyOnWriteArrayList<>();
        /** The eventfd of the last route made: each MSI sent is one count in it. */
        volatile @Nullable EventFd trigger;

        @Override
        public IrqRouter router(int devid) {
            return new IrqRouter() {
                @Override
                public IrqRoute routeEdge(GuestInterrupt target, EventFd trigger) {
                    log.add(String.format("route devid 0x%x %s", devid, target));
                    Guest.this.trigger = trigger;
                    return new IrqRoute() {
                        @Override
                        public GuestInterrupt target() {
                            return target;
                        }

                        @Override
                        public void retarget(GuestInterrupt t) {
                            log.add("retarget " + t);
                        }

                        @Override
                        public void suspend() {
                        }

                        @Override
                        public void resume() {
                        }

                        @Override
                        public void close() {
                            log.add("unroute");
                        }
                    };
                }

                @Override
                public IrqRoute routeLevel(GuestInterrupt.Line target, EventFd trigger, EventFd resample) {
                    throw new AssertionError("not used");
                }

                @Override
                public boolean supportsResample() {
                    return true;
                }
            };
        }

        @Override
        public void report(String line) {
            log.add(line);
        }

        @Override
        public Attachment mapMemory(String what, long guestAddress, MemorySegment host) {
            throw new AssertionError("not used");
        }

        @Override
        public Attachment trap(String what, MmioRange range, MmioDevice device) {
            throw new AssertionError("not used");
        }

        @Override
        public void setSpiLevel(int spi, boolean asserted) {
            throw new AssertionError("not used");
        }

        @Override
        public MmioRange ramRange() {
            throw new AssertionError("not used");
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
            throw new AssertionError("not used");
        }
    }

    /** A device for the slot: an nvme's IDs in config space, attached where the port places it. */
    private static final class Card implements LiveDevice {
        final List<String> log = new CopyOnWriteArrayList<>();
        final PciPlacement place;

        Card(PcieRootPort port) {
            this.place = port.placement(0);
        }

        @Override
        public String id() {
            return "hp0";
        }

        @Override
        public Started start(RunningGuest guest) {
            AutoCloseable attached = place.attach(new PciFunction() {
                @Override
                public int configRead(int offset, int size) {
                    return offset == 0 && size == 4 ? 0x0010_1b36 : 0;
                }

                @Override
                public void configWrite(int offset, int size, int value) {
                }
            });
            log.add("start");
            return () -> {
                try {
                    attached.close();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                log.add("stop");
            };
        }
    }

    private final PciRootBus bus = new PciRootBus();
    private final Guest guest = new Guest();

    private PcieRootPort port() throws DeviceException {
        int devfn = bus.claim("rp1", PORT_DEVFN >>> 3, 0, false);
        PcieRootPort p = new PcieRootPort("rp1", devfn, 1, 1, 0, false, bus);
        bus.registerPort(p);
        return p;
    }

    private long read(int busNumber, int devfn, int reg) {
        return bus.ecam().read((long) busNumber << 20 | (long) devfn << 12 | reg, 4);
    }

    private int status() {
        return (int) bus.ecam().read((long) PORT_DEVFN << 12 | RootPortConfig.SLTSTA, 2);
    }

    private void write(int busNumber, int devfn, int reg, int size, int value) {
        bus.ecam().write((long) busNumber << 20 | (long) devfn << 12 | reg, size, value);
    }

    /** The guest's enumeration and pciehp's set-up: bus 1 behind the port, MSI on, the slot's events enabled. */
    private void enumerate() {
        write(0, PORT_DEVFN, 0x18, 4, 0x0001_0100);
        write(0, PORT_DEVFN, RootPortConfig.MSI + 4, 4, 0x0809_0040);
        write(0, PORT_DEVFN, RootPortConfig.MSI + 0x0c, 2, 0x33);
        write(0, PORT_DEVFN, RootPortConfig.MSI + 2, 2, 1);
        int control = (int) read(0, PORT_DEVFN, RootPortConfig.SLTCTL) & 0xffff;
        write(0, PORT_DEVFN, RootPortConfig.SLTCTL, 2, control | RootPortConfig.SLTCTL_ABPE
                | RootPortConfig.SLTCTL_PDCE | RootPortConfig.SLTCTL_HPIE | RootPortConfig.SLTCTL_DLLSCE);
        write(0, PORT_DEVFN, RootPortConfig.SLTSTA, 2, status());
    }

    @Test
    void aDevicePluggedAtStartAnswersBehindTheBusTheGuestNumbered() throws Exception {
        PcieRootPort port = port();
        Card card = new Card(port);
        port.plug(card, () -> { });
        assertEquals(List.of(), card.log, "nothing runs before the guest does");
        LiveDevice.Started boot = port.start(guest);
        assertEquals(List.of("start"), card.log);
        assertEquals(0x000c_1b36L, read(0, PORT_DEVFN, 0));
        assertEquals(0xffff_ffffL, read(1, 0, 0), "bus 1 does not exist before the guest numbers it");
        write(0, PORT_DEVFN, 0x18, 4, 0x0001_0100);
        assertEquals(0x0010_1b36L, read(1, 0, 0));
        assertEquals(0xffff_ffffL, read(1, 1 << 3, 0), "only device 0 is behind a root port");
        assertEquals(0xffff_ffffL, read(2, 0, 0));
        assertEquals(0x100, card.place.requesterId());
        assertEquals("01:00.0", card.place.address());
        assertEquals(PORT_DEVFN >>> 3, card.place.intxSlot(), "device 0 behind the port: INTx as the port's slot");
        boot.close();
        assertEquals(List.of("start", "stop"), card.log);
        assertEquals(0xffff_ffffL, read(0, PORT_DEVFN, 0), "the port is gone with its boot");
        assertEquals("hp0", port.occupantId(), "the device stays in the slot for the next boot");
    }

    @Test
    void aDevicePluggedWhileTheGuestRunsIsStartedThenSignalled() throws Exception {
        PcieRootPort port = port();
        try (LiveDevice.Started boot = port.start(guest)) {
            enumerate();
            assertNull(guest.trigger, "no event enabled yet, so no MSI");
            Card card = new Card(port);
            port.plug(card, () -> { });
            assertEquals(List.of("start"), card.log);
            int status = status();
            assertTrue((status & RootPortConfig.SLTSTA_PDS) != 0 && (status & RootPortConfig.SLTSTA_PDC) != 0);
            assertTrue(guest.log.contains("route devid 0x10 Msi[address=134807616, data=51]"),
                    "the MSI carries the port's own requester ID: " + guest.log);
            assertEquals(1, Objects.requireNonNull(guest.trigger).read(), "one MSI for the arrival");
            DeviceException taken = assertThrows(DeviceException.class, () -> port.plug(new Card(port), () -> { }));
            assertTrue(taken.getMessage().contains("already holds hp0"), taken.getMessage());
        }
    }

    @Test
    void deviceDelPressesTheButtonAndTheDeviceLeavesWhenTheGuestTurnsTheSlotOff() throws Exception {
        PcieRootPort port = port();
        Card card = new Card(port);
        CountDownLatch removed = new CountDownLatch(1);
        port.plug(card, removed::countDown);
        try (LiveDevice.Started boot = port.start(guest)) {
            enumerate();
            port.requestUnplug();
            assertTrue((status() & RootPortConfig.SLTSTA_ABP) != 0);
            int control = (int) read(0, PORT_DEVFN, RootPortConfig.SLTCTL) & 0xffff;
            write(0, PORT_DEVFN, RootPortConfig.SLTCTL, 2, control & ~RootPortConfig.SLTCTL_PIC
                    | RootPortConfig.INDICATOR_BLINK << 8);
            DeviceException again = assertThrows(DeviceException.class, port::requestUnplug);
            assertTrue(again.getMessage().contains("DEVICE_DELETED"), again.getMessage());
            assertEquals(List.of("start"), card.log, "the device stays until the guest lets it go");
            write(0, PORT_DEVFN, RootPortConfig.SLTCTL, 2, control | RootPortConfig.SLTCTL_PCC
                    | RootPortConfig.SLTCTL_PIC);
            assertTrue(removed.await(10, TimeUnit.SECONDS), "the removal never ran");
            assertEquals(List.of("start", "stop"), card.log);
            assertNull(port.occupantId());
            assertEquals(0, status() & RootPortConfig.SLTSTA_PDS);
            assertEquals(0xffff_ffffL, read(1, 0, 0));
            assertThrows(DeviceException.class, port::requestUnplug, "the slot is empty now");
        }
    }

    @Test
    void withoutARunningGuestDeviceDelTakesTheDeviceOutAtOnce() throws Exception {
        PcieRootPort port = port();
        CountDownLatch removed = new CountDownLatch(1);
        port.plug(new Card(port), removed::countDown);
        port.requestUnplug();
        assertEquals(0, removed.getCount());
        assertNull(port.occupantId());
    }

    @Test
    void aSecondPortInTheSameChassisSlotIsRefused() throws Exception {
        port();
        PcieRootPort twin = new PcieRootPort("rp2", bus.claim("rp2", 3, 0, false), 1, 1, 0, false, bus);
        DeviceException e = assertThrows(DeviceException.class, () -> bus.registerPort(twin));
        assertTrue(e.getMessage().contains("rp1"), e.getMessage());
    }
}
