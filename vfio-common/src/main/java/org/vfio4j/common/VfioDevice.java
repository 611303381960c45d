package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.VfioAbi;

/**
 * A device owned through VFIO: its fd, info, regions and IRQs, reset and close.
 *
 * <p>Why abstract: this is what PCI and platform devices share (the seed RFC's VFIODevice); vfio-pci and
 * vfio-platform specialise it, and {@link PlainVfioDevice} is the ready-made leaf for user-level drivers.
 * Subclasses customise through {@link #createRegion(RegionInfo)}, {@link #createIrq(IrqInfo)} and
 * {@link #onClose()}. Regions and IRQs are created on first use and closed with the device; a closed device
 * refuses use with {@link IllegalStateException}.
 *
 * {@snippet :
 * try (PlainVfioDevice dev = group.openDevice("0000:00:04.0")) {
 *     if (dev.info().has(DeviceFlag.RESET)) {
 *         dev.reset();
 *     }
 *     VfioRegion bar0 = dev.region(VfioAbi.VFIO_PCI_BAR0_REGION_INDEX);
 *     MemorySegment regs = bar0.mmap(bar0.info().mmapAreas().get(0));
 * }
 * }
 */
public abstract class VfioDevice implements AutoCloseable {
    private final DeviceHandle handle;
    private final String name;
    private final Kernel kernel;
    private final int fd;
    private final DeviceInfo info;
    private final @Nullable VfioRegion[] regions;
    private final @Nullable VfioIrq[] irqs;
    private volatile boolean closed;

    /** Takes ownership of the handle's fd and reads the device info (VFIO_DEVICE_GET_INFO). */
    protected VfioDevice(DeviceHandle handle) {
        this.handle = handle;
        this.name = handle.name();
        this.fd = handle.fd();
        this.kernel = handle.kernel();
        this.info = queryInfo();
        this.regions = new @Nullable VfioRegion[info.numRegions()];
        this.irqs = new @Nullable VfioIrq[info.numIrqs()];
    }

    private DeviceInfo queryInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(VfioAbi.DeviceInfo.LAYOUT);
            VfioAbi.DeviceInfo.ARGSZ.set(s, (int) VfioAbi.DeviceInfo.LAYOUT.byteSize());
            int r = kernel.ioctl(fd, VfioAbi.VFIO_DEVICE_GET_INFO, s);
            if (r < 0) {
                throw new VfioException("VFIO_DEVICE_GET_INFO of " + name, -r, "");
            }
            return new DeviceInfo((int) VfioAbi.DeviceInfo.FLAGS.get(s), (int) VfioAbi.DeviceInfo.NUM_REGIONS.get(s),
                    (int) VfioAbi.DeviceInfo.NUM_IRQS.get(s));
        }
    }

    /** The device name (PCI address or platform device name). */
    public final String name() {
        return name;
    }

    /** The group it was opened through; empty when it was opened through its cdev ({@link #ioas()}). */
    public final Optional<VfioGroup> group() {
        return handle.group();
    }

    /** The iommufd IOAS it is attached to; empty when it was opened through its group ({@link #group()}). */
    public final Optional<IommufdIoas> ioas() {
        return handle.ioas();
    }

    /** Where the device's DMA is mapped: its group's container, or the IOAS it is attached to. */
    public final DmaSpace dmaSpace() {
        return handle.group().<DmaSpace>map(VfioGroup::container).orElseGet(() -> handle.ioas().orElseThrow());
    }

    /** The kernel the device fd belongs to. */
    final Kernel kernel() {
        return kernel;
    }

    /** The device fd, for subclasses and diagnostics; valid until {@link #close()}. */
    public final int fd() {
        ensureOpen();
        return fd;
    }

    /** The device info read when the device was opened. */
    public final DeviceInfo info() {
        return info;
    }

    /** Throws IllegalStateException when closed. */
    protected final void ensureOpen() {
        Check.open(closed, this);
    }

    /** True once closed. */
    public final boolean isClosed() {
        return closed;
    }

    /** Region {@code index}, created on first use through {@link #createRegion(RegionInfo)}. */
    public final synchronized VfioRegion region(int index) {
        ensureOpen();
        checkIndex("region", index, regions.length);
        VfioRegion r = regions[index];
        if (r == null) {
            r = createRegion(regionInfo(index));
            regions[index] = r;
        }
        return r;
    }

    /** All regions (index order). */
    public final List<VfioRegion> regions() {
        List<VfioRegion> out = new ArrayList<>();
        for (int i = 0; i < info.numRegions(); i++) {
            out.add(region(i));
        }
        return out;
    }

    /** IRQ index {@code index}, created on first use through {@link #createIrq(IrqInfo)}. */
    public final synchronized VfioIrq irq(int index) {
        ensureOpen();
        checkIndex("IRQ", index, irqs.length);
        VfioIrq q = irqs[index];
        if (q == null) {
            q = createIrq(irqInfo(index));
            irqs[index] = q;
        }
        return q;
    }

    /** All IRQ indexes (index order). */
    public final List<VfioIrq> irqs() {
        List<VfioIrq> out = new ArrayList<>();
        for (int i = 0; i < info.numIrqs(); i++) {
            out.add(irq(i));
        }
        return out;
    }

    /** The first IRQ index other than {@code index} with enabled vectors, or -1 (for error advice). */
    final synchronized int enabledIrqOtherThan(int index) {
        for (int i = 0; i < irqs.length; i++) {
            VfioIrq q = irqs[i];
            if (i != index && q != null && q.enabledCount() > 0) {
                return i;
            }
        }
        return -1;
    }

    private void checkIndex(String what, int index, int count) {
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException(name + " has " + what + " indexes 0.." + (count - 1) + ", not " + index);
        }
    }

    /** VFIO_DEVICE_GET_REGION_INFO, including the capability chain; an index the device lacks reads as size 0. */
    public final RegionInfo regionInfo(int index) {
        return RegionInfoQuery.query(kernel, fd(), name, index);
    }

    /** VFIO_DEVICE_GET_IRQ_INFO; an index the device lacks reads as 0 vectors. */
    public final IrqInfo irqInfo(int index) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(VfioAbi.IrqInfo.LAYOUT);
            VfioAbi.IrqInfo.ARGSZ.set(s, (int) VfioAbi.IrqInfo.LAYOUT.byteSize());
            VfioAbi.IrqInfo.INDEX.set(s, index);
            int r = kernel.ioctl(fd(), VfioAbi.VFIO_DEVICE_GET_IRQ_INFO, s);
            if (r == -Errno.EINVAL) {
                // An index below num_irqs the device lacks (vfio-pci: ERR on a device without PCIe AER):
                // no vectors, no flags.
                return new IrqInfo(index, 0, 0);
            }
            if (r < 0) {
                throw new VfioException("VFIO_DEVICE_GET_IRQ_INFO " + index + " of " + name, -r, "");
            }
            return new IrqInfo(index, (int) VfioAbi.IrqInfo.FLAGS.get(s), (int) VfioAbi.IrqInfo.COUNT.get(s));
        }
    }

    /**
     * Creates the object for a region. Override to return a bus-specific {@link VfioRegion} (e.g. a
     * virtualised PCI config space); the default is {@link PlainVfioRegion}.
     */
    protected VfioRegion createRegion(RegionInfo regionInfo) {
        return new PlainVfioRegion(this, regionInfo);
    }

    /** Creates the object for an IRQ index. Override to specialise; the default is a {@link VfioIrq}. */
    protected VfioIrq createIrq(IrqInfo irqInfo) {
        return new VfioIrq(this, irqInfo);
    }

    /**
     * VFIO_DEVICE_RESET: the kernel's reset for this device (PCI: FLR, PM or bus reset; platform: the reset
     * module), one handler for every bus.
     */
    public void reset() {
        ensureOpen();
        if (!info.has(DeviceFlag.RESET)) {
            throw VfioException.refused("VFIO_DEVICE_RESET of " + name, "the device does not support reset "
                    + "(no VFIO_DEVICE_FLAGS_RESET); for platform devices load its vfio reset module");
        }
        int r = kernel.ioctl(fd, VfioAbi.VFIO_DEVICE_RESET, 0L);
        if (r < 0) {
            throw new VfioException("VFIO_DEVICE_RESET of " + name, -r,
                    -r == Errno.EAGAIN ? "the reset needs other devices idle; retry" : "");
        }
    }

    /** VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: the devices a bus reset of this PCI device would also reset. */
    public List<PciDependentDevice> pciHotResetInfo() {
        ensureOpen();
        if (!info.has(DeviceFlag.PCI)) {
            throw VfioException.refused("VFIO_DEVICE_GET_PCI_HOT_RESET_INFO of " + name, "not a PCI device");
        }
        return HotResetQuery.query(kernel, fd, name);
    }

    /** Called first by {@link #close()}, before IRQs and regions are released; subclasses stop their work here. */
    protected void onClose() {
    }

    /** Disables IRQs, unmaps regions and closes the fd; idempotent. */
    @Override
    public final void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                onClose();
            } finally {
                for (@Nullable VfioIrq q : irqs) {
                    if (q != null) {
                        q.close();
                    }
                }
                for (@Nullable VfioRegion r : regions) {
                    if (r != null) {
                        r.close();
                    }
                }
                closed = true;
                handle.closing(this);
                kernel.close(fd);
            }
        }
        handle.closed(this);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " " + name;
    }
}
