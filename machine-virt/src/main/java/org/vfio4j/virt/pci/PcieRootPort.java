package org.vfio4j.virt.pci;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.RateLimitedLog;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.LiveDevice;
import org.vfio4j.virt.device.RunningGuest;

/**
 * One {@code -device pcie-root-port}: a PCI Express root port at a device number of the root bus with one hot-plug
 * slot behind it, which holds at most one device (an assigned function at device 0 of the port's secondary bus),
 * given on the command line ({@code -device vfio-pci,bus=ID}) or at run time (QMP's {@code device_add}).
 *
 * <p>Why the port starts and stops what is in its slot: the device in the slot changes while the guest runs, and
 * stays across a reset, as in QEMU; so the port, not the machine's device list, owns it. Each boot the port starts
 * with a fresh {@link RootPortConfig} (a reset port), then starts its occupant; a device plugged while the guest runs
 * is started at once and then shown to the guest (presence detect), and one the guest turned its slot off for is
 * stopped on a thread of its own — the guest's write must not wait for a device to be released — and then reported
 * gone ({@link Removal}).
 *
 * {@snippet :
 * PcieRootPort port = bus.rootPort("rp1");        // -device pcie-root-port,id=rp1,chassis=1,slot=1
 * port.plug(function, removal);                     // device_add ...,bus=rp1: the guest's pciehp probes it
 * port.requestUnplug();                             // device_del: the guest powers the slot off, removal runs
 * }
 */
public final class PcieRootPort implements LiveDevice {
    /** Told when the device in the slot has been stopped and taken out. */
    @FunctionalInterface
    public interface Removal {
        void removed();
    }

    private record Occupant(LiveDevice device, Removal removal) {
    }

    /** One boot's state: the config space, its MSI, the occupant's started handle. */
    private static final class Boot {
        final RunningGuest guest;
        final EventFd msi = EventFd.create();
        @Nullable IrqRoute route;
        GuestInterrupt.@Nullable Msi target;
        @Nullable RootPortConfig config;
        /** Functions present behind the port, by function number at device 0 of the secondary bus. */
        final AtomicReference<@Nullable PciFunction> child = new AtomicReference<>();
        LiveDevice.@Nullable Started occupant;
        /** The guest programs the MSI, so what goes wrong with it is reported at a bounded rate. */
        final RateLimitedLog messages;

        Boot(RunningGuest guest) {
            this.guest = guest;
            this.messages = RateLimitedLog.standard(guest::report);
        }
    }

    private final String id;
    private final int devfn;
    private final int chassis;
    private final int slot;
    private final int port;
    private final boolean multifunction;
    private final PciRootBus bus;
    /** Held while a device is plugged, started or taken out; never by a vCPU's config access. */
    private final Object plugging = new Object();
    private @Nullable Occupant occupant;
    private volatile @Nullable Boot boot;

    PcieRootPort(String id, int devfn, int chassis, int slot, int port, boolean multifunction, PciRootBus bus) {
        this.id = id;
        this.devfn = devfn;
        this.chassis = chassis;
        this.slot = slot;
        this.port = port;
        this.multifunction = multifunction;
        this.bus = bus;
    }

    @Override
    public String id() {
        return id;
    }

    /** The port's own place on the root bus, {@code 00:DD.F}. */
    public String address() {
        return String.format("00:%02x.%x", devfn >>> 3, devfn & 7);
    }

    /** QEMU's {@code chassis} and {@code slot}: the pair names the slot (its physical slot number is {@code slot}). */
    public int chassis() {
        return chassis;
    }

    /** The physical slot number. */
    public int slot() {
        return slot;
    }

    /** The id of the device in the slot, or null when it is empty. */
    public @Nullable String occupantId() {
        synchronized (plugging) {
            Occupant o = occupant;
            return o == null ? null : o.device().id();
        }
    }

    /** Where a function plugged into this port's slot sits: function {@code fn} of device 0 on the secondary bus. */
    PciPlacement placement(int fn) {
        return new PciPlacement() {
            @Override
            public String address() {
                return String.format("%02x:00.%x", secondaryBus(), fn);
            }

            @Override
            public int requesterId() {
                return secondaryBus() << 8 | fn;
            }

            @Override
            public int intxSlot() {
                return devfn >>> 3;   // device 0 behind the port: the swizzle leaves the pin as it is
            }

            @Override
            public boolean multifunctionHeader() {
                return false;
            }

            @Override
            public AutoCloseable attach(PciFunction function) {
                Boot b = boot;
                if (b == null) {
                    throw new IllegalStateException(id + " is not running; the device behind it cannot start");
                }
                if (!b.child.compareAndSet(null, function)) {
                    throw new IllegalStateException("a function is already present behind " + id);
                }
                return () -> b.child.compareAndSet(function, null);
            }

            @Override
            public boolean requestUnplug() {
                try {
                    PcieRootPort.this.requestUnplug();
                } catch (DeviceException e) {
                    // already under way, or the slot emptied meanwhile: nothing more to ask
                }
                return true;
            }
        };
    }

    /** The bus number behind the port this boot (0 while the guest has not numbered it). */
    int secondaryBus() {
        Boot b = boot;
        RootPortConfig c = b == null ? null : b.config;
        return c == null ? 0 : c.secondaryBus();
    }

    /**
     * The port's bridge as the guest programmed it, for QMP's {@code query-pci}: bus numbers, the three windows as
     * {base, limit}, and the function in the slot with its id (null when none is present).
     */
    public record Bridge(int secondary, int subordinate, long[] io, long[] memory, long[] prefetchable,
            @Nullable String childId, @Nullable PciFunction child) {
    }

    /** The bridge this boot, or null while no guest runs. */
    public @Nullable Bridge bridge() {
        Boot b = boot;
        RootPortConfig c = b == null ? null : b.config;
        if (b == null || c == null) {
            return null;
        }
        PciFunction child = b.child.get();
        return new Bridge(c.secondaryBus(), c.subordinateBus(), c.ioWindow(), c.memoryWindow(),
                c.prefetchableWindow(), child == null ? null : occupantId(), child);
    }

    /** The function behind the port at bus number {@code busNumber}, device/function {@code dfn}, or null. */
    @Nullable PciFunction downstream(int busNumber, int dfn) {
        Boot b = boot;
        RootPortConfig c = b == null ? null : b.config;
        if (b == null || c == null || busNumber == 0 || busNumber != c.secondaryBus() || dfn != 0) {
            return null;
        }
        return b.child.get();
    }

    /**
     * Puts {@code device} in the slot; {@code removal} runs once it has been taken out again. While a guest runs the
     * device is started now and the guest then sees it arrive; otherwise it starts with the next boot.
     *
     * @throws DeviceException when the slot is taken, or the device cannot start (the slot then stays empty)
     */
    public void plug(LiveDevice device, Removal removal) throws DeviceException {
        synchronized (plugging) {
            Occupant o = occupant;
            if (o != null) {
                throw new DeviceException(device.id() + ": the slot of " + id + " already holds " + o.device().id()
                        + "; a root port takes one device (add another pcie-root-port)");
            }
            Boot b = boot;
            if (b != null) {
                b.occupant = device.start(b.guest);
                RootPortConfig c = b.config;
                if (c != null) {
                    c.presence(true);
                }
            }
            occupant = new Occupant(device, removal);
        }
    }

    /**
     * Asks for the device in the slot back ({@code device_del}): with a guest running, its attention button is
     * pressed and the device is taken out once the guest has turned the slot off; without one it is taken out now.
     *
     * @throws DeviceException when the slot is empty, or an unplug is already under way
     */
    public void requestUnplug() throws DeviceException {
        RootPortConfig c;
        synchronized (plugging) {
            if (occupant == null) {
                throw new DeviceException("the slot of " + id + " is empty");
            }
            Boot b = boot;
            c = b == null ? null : b.config;
            if (c == null) {
                takeOut();
                return;
            }
        }
        if (!c.pressAttentionButton()) {
            throw new DeviceException("the guest is already unplugging the device in " + id
                    + " (its power indicator blinks); wait for DEVICE_DELETED");
        }
    }

    /** Stops the occupant, empties the slot, tells the guest and then the owner of the removal. */
    private void takeOut() {
        Removal done;
        synchronized (plugging) {
            Occupant o = occupant;
            if (o == null) {
                return;
            }
            occupant = null;
            Boot b = boot;
            if (b != null) {
                Started s = b.occupant;
                b.occupant = null;
                if (s != null) {
                    s.close();
                }
                RootPortConfig c = b.config;
                if (c != null) {
                    c.presence(false);
                }
            }
            done = o.removal();
        }
        done.removed();
    }

    @Override
    public Started start(RunningGuest guest) throws DeviceException {
        Boot b = new Boot(guest);
        List<AutoCloseable> undo = new ArrayList<>();
        undo.add(b.msi);
        synchronized (plugging) {
            try {
                RootPortConfig config = new RootPortConfig(slot, port, multifunction, occupant != null,
                        new RootPortConfig.Events() {
                            @Override
                            public void interrupt(long address, int data) {
                                signal(b, address, data);
                            }

                            @Override
                            public void slotOff() {
                                Thread.ofVirtual().name("virt-unplug-" + id).start(PcieRootPort.this::takeOut);
                            }
                        });
                b.config = config;
                undo.add(() -> {
                    IrqRoute r = b.route;
                    if (r != null) {
                        r.close();
                    }
                });
                undo.add(bus.attachDevfn(devfn, config));
                undo.add(bus.attachBridge(this));
                boot = b;
                undo.add(() -> boot = null);
                Occupant o = occupant;
                if (o != null) {
                    b.occupant = o.device().start(guest);
                }
            } catch (DeviceException | RuntimeException e) {
                close(undo);
                throw e;
            }
        }
        guest.report("virt: " + id + ": PCIe root port at " + address() + ", hot-plug slot " + slot + " (chassis "
                + chassis + ")");
        return () -> {
            synchronized (plugging) {
                Started s = b.occupant;
                b.occupant = null;
                if (s != null) {
                    s.close();
                }
                close(undo);
            }
        };
    }

    /** Sends the port's MSI through an irqfd whose route follows the address and data the guest programmed. */
    private void signal(Boot b, long address, int data) {
        GuestInterrupt.Msi target = new GuestInterrupt.Msi(address, data);
        try {
            IrqRoute r = b.route;
            if (r == null) {
                b.route = b.guest.router(devfn).routeEdge(target, b.msi);
            } else if (!java.util.Objects.equals(target, b.target)) {
                r.retarget(target);
            }
            b.target = target;
            b.msi.signal();
        } catch (RuntimeException e) {
            b.messages.report(() -> "virt: " + id + ": hot-plug interrupt to 0x" + Long.toHexString(address)
                    + " not sent: " + e.getMessage());
        }
    }

    private static void close(List<AutoCloseable> undo) {
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                undo.get(i).close();
            } catch (Exception e) {
                // each release is independent; the rest still run
            }
        }
        undo.clear();
    }

    @Override
    public String toString() {
        return id + ": pcie-root-port at " + address() + ", chassis " + chassis + ", slot " + slot;
    }
}
