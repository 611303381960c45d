package org.vfio4j.pci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.DeviceFlag;
import org.vfio4j.common.DeviceHandle;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.RegionInfo;
import org.vfio4j.common.VfioDevice;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.VfioIrq;
import org.vfio4j.common.VfioRegion;
import org.vfio4j.common.sys.VfioAbi;

/**
 * A PCI device owned through VFIO, ready to be handed to a guest: vfio-common's {@link VfioDevice}
 * specialised for PCI, and the {@link PciHost} the guest-facing model runs on.
 *
 * <p>Why it exists: it is the one object a machine needs per {@code -device vfio-pci,host=BDF}.
 * It opens through its group like any VFIO device, maps each {@link PciHost} call onto exactly one
 * VFIO operation (config region read/write, region info/mmap, SET_IRQS, DEVICE_RESET), and
 * {@link #plug plugs} the guest model in; closing it stops the model first, then releases IRQs,
 * mappings and the fd, so the group can be opened again at once.
 * {@snippet :
 * try (VfioPciDevice dev = VfioPciDevice.open(group, "0000:00:04.0")) {
 *     AssignedPciDevice guestView = dev.plug(PciOptions.parse("vfio-pci,host=0000:00:04.0"), machine);
 *     guestView.start();
 *     // machine dispatches guest config accesses to guestView.configRead/configWrite
 * }
 * }
 */
public final class VfioPciDevice extends VfioDevice implements PciHost {

    private static final long PAGE_SIZE = hostPageSize();
    private @Nullable AssignedPciDevice model;

    /** Wraps a freshly opened device fd; refuses devices that are not PCI. */
    public VfioPciDevice(DeviceHandle handle) {
        super(handle);
        if (!info().has(DeviceFlag.PCI)) {
            throw new IllegalArgumentException(handle.name() + " is not a PCI device (VFIO reports no "
                    + "VFIO_DEVICE_FLAGS_PCI); use vfio-platform for platform devices");
        }
    }

    /** Opens {@code bdf} (e.g. {@code 0000:00:04.0}) from {@code group}. */
    public static VfioPciDevice open(VfioGroup group, String bdf) {
        return group.openDevice(bdf, VfioPciDevice::new);
    }

    /**
     * Creates the guest-facing model of this device for {@code machine}; one per device. The model is
     * stopped and closed when this device closes.
     */
    public synchronized AssignedPciDevice plug(PciOptions options, PciMachine machine) {
        ensureOpen();
        if (model != null) {
            throw new IllegalStateException(name() + " is already plugged into a machine; a device can be "
                    + "assigned once (close it, or open it again for another machine)");
        }
        AssignedPciDevice m = new AssignedPciDevice(this, options, machine);
        model = m;
        return m;
    }

    @Override
    protected VfioRegion createRegion(RegionInfo regionInfo) {
        return new PciRegion(this, regionInfo);
    }

    @Override
    protected synchronized void onClose() {
        AssignedPciDevice m = model;
        if (m != null) {
            m.close();
            model = null;
        }
    }

    private VfioRegion config() {
        return region(VfioAbi.VFIO_PCI_CONFIG_REGION_INDEX);
    }

    @Override
    public int configSize() {
        return (int) Math.min(4096, config().size());
    }

    @Override
    public int readConfig(int offset, int size) {
        return (int) config().read(offset, size);
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        config().write(offset, size, Integer.toUnsignedLong(value));
    }

    @Override
    public Optional<PciHostRegion> hostRegion(int index) {
        if (index < 0 || index > VfioAbi.VFIO_PCI_ROM_REGION_INDEX || index >= info().numRegions()) {
            return Optional.empty();
        }
        VfioRegion r = region(index);
        return r.size() == 0 || !(r instanceof PciRegion p) ? Optional.empty() : Optional.of(p);
    }

    @Override
    public long pageSize() {
        return PAGE_SIZE;
    }

    private @Nullable VfioIrq irq(PciIrqIndex index) {
        return index.vfioIndex() < info().numIrqs() ? irq(index.vfioIndex()) : null;
    }

    private VfioIrq requireIrq(PciIrqIndex index) {
        VfioIrq irq = irq(index);
        if (irq == null || irq.count() == 0) {
            throw new IllegalStateException(name() + " has no " + index + " interrupt");
        }
        return irq;
    }

    @Override
    public int irqCount(PciIrqIndex index) {
        VfioIrq irq = irq(index);
        return irq == null ? 0 : irq.count();
    }

    @Override
    public boolean irqResizable(PciIrqIndex index) {
        VfioIrq irq = irq(index);
        return irq != null && !irq.info().noresize();
    }

    /**
     * Enables vectors with caller-owned eventfds, highest first: the first call enables the whole
     * range in the kernel (VFIO enables {@code start + count} vectors), the rest only attach their
     * eventfds, so a batch costs one enable rather than one re-enable per vector.
     */
    @Override
    public void setIrqTriggers(PciIrqIndex index, int start, List<@Nullable EventFd> triggers) {
        VfioIrq irq = requireIrq(index);
        for (int i = triggers.size() - 1; i >= 0; i--) {
            EventFd e = triggers.get(i);
            if (e != null) {
                irq.enable(start + i, e);
            }
        }
    }

    @Override
    public void disableIrq(PciIrqIndex index) {
        VfioIrq irq = irq(index);
        if (irq != null) {
            irq.disable();
        }
    }

    @Override
    public void unmaskIntx() {
        requireIrq(PciIrqIndex.INTX).unmask(0);
    }

    @Override
    public void unmaskIntxOn(EventFd resample) {
        requireIrq(PciIrqIndex.INTX).unmaskOn(0, resample);
    }

    @Override
    public boolean resetDevice() {
        if (!info().has(DeviceFlag.RESET)) {
            return false;
        }
        reset();
        return true;
    }

    /** The kernel's page size, from /proc (4 KiB where it cannot be read). */
    private static long hostPageSize() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
                if (line.startsWith("KernelPageSize:")) {
                    String[] f = line.trim().split("\\s+");
                    return Long.parseLong(f[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through to the common value
        }
        return 4096;
    }
}
