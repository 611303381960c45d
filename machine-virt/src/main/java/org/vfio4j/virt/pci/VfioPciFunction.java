package org.vfio4j.virt.pci;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestContainer;
import org.vfio4j.common.GuestIoas;
import org.vfio4j.common.RateLimitedLog;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.VfioIrq;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.pci.AssignedPciDevice;
import org.vfio4j.pci.GuestBar;
import org.vfio4j.pci.PciMachine;
import org.vfio4j.pci.PciOptions;
import org.vfio4j.pci.VfioPciDevice;
import org.vfio4j.virt.board.PcieHost;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.LiveDevice;
import org.vfio4j.virt.device.RunningGuest;

/**
 * One {@code -device vfio-pci}: a host function at its {@link PciPlacement} (a device number of the root bus, or the
 * slot behind a {@code pcie-root-port}). While a guest runs it holds the host device open in the guest's one VFIO
 * container ({@link RunningGuest#vfio()}) and answers the guest's ECAM accesses through vfio-pci's
 * {@link AssignedPciDevice}, which maps BARs ({@link GuestBars}), routes MSI/MSI-X to KVM MSI routes carrying this
 * function's requester ID, and INTx to its swizzled SPI ({@link GuestIntx}).
 *
 * <p>Why start and stop mirror each other in one place: a failure half way (the group busy, a BAR that
 * cannot be mapped) must leave nothing behind — the host device reusable at once by another VMM.
 */
public final class VfioPciFunction implements LiveDevice {
    private static final int HEADER_TYPE = 0x0e;
    private final String id;
    private final PciOptions options;
    private final int group;
    private final PciPlacement place;
    private final PcieHost host;
    /** Whether the cdev fd handed in ({@code fd=}) is bound to its iommufd: from the first boot on. */
    private boolean cdevBound;

    VfioPciFunction(String id, PciOptions options, int group, PciPlacement place, PcieHost host) {
        this.id = id;
        this.options = options;
        this.group = group;
        this.place = place;
        this.host = host;
    }

    @Override
    public String id() {
        return id;
    }

    /** {@code BB:DD.F} as the guest sees the function now. */
    public String guestAddress() {
        return place.address();
    }

    /** The host function, {@code DDDD:BB:DD.F}. */
    public String hostAddress() {
        return options.host();
    }

    @Override
    public Started start(RunningGuest guest) throws DeviceException {
        List<AutoCloseable> undo = new ArrayList<>();
        try {
            VfioPciDevice dev = open(guest, undo);
            PollLoop loop = new PollLoop("vfio-pci " + id, guest::report);
            undo.add(loop);
            AssignedPciDevice model = dev.plug(options, new PciMachine(new GuestBars(id, guest, host, guest::report),
                    place.router(guest), new GuestIntx(place.intxSlot(), host, guest), loop,
                    line -> guest.report("virt: " + id + ": " + line)));
            undo.add(model);
            model.start();
            watchHostSignals(dev, loop, guest, undo);
            boolean multifunction = place.multifunctionHeader();
            undo.add(place.attach(new PciFunction() {
                @Override
                public int configRead(int offset, int size) {
                    int v = model.configRead(offset, size);
                    if (offset <= HEADER_TYPE && HEADER_TYPE < offset + size) {
                        // the multi-function bit is the machine's: set for a multifunction=on function 0, clear
                        // for everything else (a host multi-function device's function 0 assigned alone)
                        int bit = 0x80 << ((HEADER_TYPE - offset) * 8);
                        v = multifunction ? v | bit : v & ~bit;
                    }
                    return v;
                }

                @Override
                public void configWrite(int offset, int size, int value) {
                    model.configWrite(offset, size, value);
                }

                @Override
                public List<GuestBar> bars() {
                    return model.bars();
                }
            }));
            guest.report(String.format("virt: %s: host %s (IOMMU group %d%s) is %s on the guest's PCIe bus%s%s", id,
                    options.host(), group, options.iommufd() == null ? ""
                            : ", through its cdev" + (options.fd() >= 0 ? " fd " + options.fd() : ""),
                    place.address(), place.address().startsWith("00:")
                            ? String.format(", requester ID 0x%x", place.requesterId()) : "",
                    options.noMmap() ? "; x-no-mmap: every BAR access traps" : ""));
        } catch (VfioException | IllegalStateException | IllegalArgumentException e) {
            closeAll(undo, guest);
            throw new DeviceException(id + ": cannot assign host " + options.host() + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeAll(undo, guest);
            throw e;
        }
        return () -> closeAll(undo, guest);
    }

    /**
     * The host's two signals about the device itself, each through an eventfd on the device's loop. ERR (an
     * uncorrectable error the host's AER saw) stops the guest with the device named, as QEMU does. REQ (the host
     * wants the device back: someone is unbinding vfio-pci, and the kernel waits, asking again every 10 s) is
     * relayed as an unplug request when the function sits in a hot-plug slot (its attention button pressed, as
     * QEMU does), and reported at a bounded rate either way: on the root bus the host gets it when the VMM ends. A
     * device or kernel without one of them just goes without.
     */
    private void watchHostSignals(VfioPciDevice dev, PollLoop loop, RunningGuest guest, List<AutoCloseable> undo) {
        RateLimitedLog requests = RateLimitedLog.standard(guest::report);
        watch(dev, VfioAbi.VFIO_PCI_ERR_IRQ_INDEX, loop, undo, () -> guest.hostError("virt: " + id + ": host "
                + options.host() + " reported an uncorrectable error (AER); the guest is stopped. QMP's cont runs "
                + "it again, quit ends the VMM"));
        watch(dev, VfioAbi.VFIO_PCI_REQ_IRQ_INDEX, loop, undo, () -> {
            boolean asked = place.requestUnplug();
            requests.report("virt: " + id + ": the host asks for " + options.host() + " back (its vfio-pci driver is "
                    + "being unbound); " + (asked ? "the guest is asked to unplug it (attention button)"
                            : "it is on the root bus, which cannot unplug it, so the host gets it when the VMM ends"));
        });
    }

    private static void watch(VfioPciDevice dev, int index, PollLoop loop, List<AutoCloseable> undo, Runnable then) {
        VfioIrq irq;
        EventFd signal;
        try {
            if (dev.irqInfo(index).count() == 0) {
                return;
            }
            irq = dev.irq(index);
            signal = irq.enable(0);
        } catch (VfioException e) {
            return;   // an older kernel without this index, or a device that cannot signal it
        }
        undo.add(irq::disable);
        undo.add(loop.watch(signal, then));
    }

    /**
     * Opens the host device: through its group in the guest's container, or through its cdev in the
     * {@code iommufd=} object's IOAS. A cdev handed in is never closed here: each boot takes a copy, so the
     * next boot has the device again (its open file stays bound to the iommufd, so only the first boot binds).
     */
    private VfioPciDevice open(RunningGuest guest, List<AutoCloseable> undo) throws DeviceException {
        String iommufd = options.iommufd();
        if (iommufd == null) {
            GuestContainer.Membership m = guest.vfio().join(group, DmaPermission.READ_WRITE);
            undo.add(m);
            VfioPciDevice dev = VfioPciDevice.open(m.group(), options.host());
            undo.add(dev);
            return dev;
        }
        GuestIoas ioas = guest.ioas(iommufd);
        GuestIoas.Member<VfioPciDevice> m;
        if (options.fd() < 0) {
            m = ioas.open(options.host(), DmaPermission.READ_WRITE, VfioPciDevice::new);
        } else {
            int copy = Native.dupCloexec(options.fd());
            if (copy < 0) {
                throw new DeviceException(id + ": fd=" + options.fd() + " cannot be copied: " + Errno.describe(-copy));
            }
            m = ioas.adopt(copy, options.host(), cdevBound, DmaPermission.READ_WRITE, VfioPciDevice::new);
            cdevBound = true;
        }
        undo.add(m); // the member's close unregisters the device from KVM-VFIO, then closes it
        return m.device();
    }

    /** Closes in reverse order: off the bus, model stopped, device fd, loop, group/container. */
    private void closeAll(List<AutoCloseable> undo, RunningGuest guest) {
        @Nullable Exception first = null;
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                undo.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        undo.clear();
        if (first != null) {
            guest.report("virt: " + id + ": releasing host " + options.host() + " failed: " + first.getMessage());
        }
    }

    @Override
    public String toString() {
        return id + ": " + place.address() + " <- host " + options.host();
    }
}
