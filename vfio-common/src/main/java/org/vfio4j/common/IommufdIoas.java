package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.IommufdAbi;
import org.vfio4j.common.sys.IommufdAbi.DeviceAttachIommufdPt;
import org.vfio4j.common.sys.IommufdAbi.DeviceBindIommufd;
import org.vfio4j.common.sys.IommufdAbi.IoasAlloc;
import org.vfio4j.common.sys.IommufdAbi.IoasIovaRanges;
import org.vfio4j.common.sys.Native;

/**
 * An I/O address space of an iommufd ({@code /dev/iommu}): the kernel's current interface for what a VFIO
 * container did, with devices joining through their own cdevs ({@code /dev/vfio/devices/vfioN}) rather than
 * through a group.
 *
 * <p>Why a second backend: the kernel's direction is iommufd (the legacy container and group interface is
 * kept for compatibility, {@code CONFIG_VFIO_CONTAINER}), its fds can be opened by a privileged manager and
 * handed to an unprivileged VMM one device at a time ({@link #adopt}, {@link #adoptDevice}), and a device cdev
 * needs no group node and no container. The DMA API is the container's ({@link DmaSpace}): the same
 * permissions, checks, {@link DmaArena} and index, with IOMMU_IOAS_MAP/UNMAP instead of the Type1 ioctls.
 * Permissions map as on Type1: READ and WRITE are the kernel's bits, EXEC is its default (iommufd never
 * asks the IOMMU for no-execute), NO_EXEC is refused. Viability needs no check of ours: binding a device
 * fails while another device of its group is on a host driver, and the kernel says so.
 *
 * <p>Memory pinned by an IOAS counts against RLIMIT_MEMLOCK of the user (by default, for every process of
 * that user together), where Type1 counts it per process.
 *
 * {@snippet :
 * try (IommufdIoas ioas = IommufdIoas.open();                          // /dev/iommu
 *      PlainVfioDevice edu = ioas.openDevice("0000:00:04.0");          // its cdev, bound and attached
 *      DmaBuffer buf = ioas.allocate(4096, DmaPermission.READ_WRITE)) {
 *     edu.region(0).write64(0x80, buf.iova());
 * }
 * }
 */
public final class IommufdIoas implements DmaSpace {
    private static final Path DEV_IOMMU = Path.of("/dev/iommu");
    private static final Path DEV_CDEVS = Path.of("/dev/vfio/devices");

    private final Kernel kernel;
    private final int fd;
    private final int ioasId;
    private final IommuGroups sysfs;
    private final DmaMapper dma;
    private final List<VfioDevice> devices = new ArrayList<>();
    private final Set<DmaBuffer> buffers = ConcurrentHashMap.newKeySet();
    /** As for {@link VfioContainer}: read by {@link #map} without the lock, dropped when devices come or go. */
    private volatile @Nullable IommuInfo info;
    private volatile boolean closed;

    private IommufdIoas(Kernel kernel, int fd, int ioasId, IommuGroups sysfs) {
        this.kernel = kernel;
        this.fd = fd;
        this.ioasId = ioasId;
        this.sysfs = sysfs;
        this.dma = new DmaMapper(kernel, fd, ioasId);
    }

    /** Opens {@code /dev/iommu} and allocates an IOAS in it. */
    public static IommufdIoas open() {
        return open(Kernel.HOST, IommuGroups.system());
    }

    /**
     * Allocates an IOAS in the iommufd {@code iommufd}, opened by someone else and handed to this process (QEMU's
     * {@code -object iommufd,fd=N}); the fd is this object's from now on and closed with it.
     */
    public static IommufdIoas adopt(int iommufd) {
        return allocate(Kernel.HOST, iommufd, "iommufd fd " + iommufd, IommuGroups.system());
    }

    /**
     * Opens {@code /dev/iommu} and returns its fd, for a caller that keeps one iommufd across several IOASes
     * ({@link #adopt} takes copies of it); the caller closes it.
     */
    public static int openIommufd() {
        return openIommufd(Kernel.HOST);
    }

    static IommufdIoas open(Kernel kernel, IommuGroups sysfs) {
        return allocate(kernel, openIommufd(kernel), DEV_IOMMU.toString(), sysfs);
    }

    private static int openIommufd(Kernel kernel) {
        int fd = kernel.open(DEV_IOMMU.toString(), Native.O_RDWR | Native.O_CLOEXEC);
        if (fd < 0) {
            throw new VfioException("open " + DEV_IOMMU, -fd, switch (-fd) {
                case Errno.ENOENT -> "the kernel has no iommufd: load it (modprobe iommufd) or use a kernel built with "
                        + "CONFIG_IOMMUFD; without it, use the VFIO container (VfioContainer.open())";
                case Errno.EACCES, Errno.EPERM -> "permission denied: run as root, give your user /dev/iommu (it is "
                        + "root's, mode 0660, by default), or have a privileged process open it and hand the fd over";
                default -> "";
            });
        }
        return fd;
    }

    static IommufdIoas allocate(Kernel kernel, int fd, String what, IommuGroups sysfs) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(IoasAlloc.LAYOUT);
            IoasAlloc.SIZE.set(s, (int) IoasAlloc.LAYOUT.byteSize());
            int r = kernel.ioctl(fd, IommufdAbi.IOMMU_IOAS_ALLOC, s);
            if (r < 0) {
                kernel.close(fd);
                throw new VfioException("IOMMU_IOAS_ALLOC on " + what, -r, -r == Errno.ENOTTY || -r == Errno.EINVAL
                        ? "the fd is not an iommufd (an open /dev/iommu); a VFIO container fd is not one" : "");
            }
            return new IommufdIoas(kernel, fd, (int) IoasAlloc.OUT_IOAS_ID.get(s), sysfs);
        }
    }

    /** The iommufd fd (for KVM and diagnostics). */
    public int fd() {
        Check.open(closed, this);
        return fd;
    }

    /** The IOAS's id in its iommufd, what a device attaches to. */
    public int ioasId() {
        return ioasId;
    }

    /** The cdev of device {@code name} ({@code /dev/vfio/devices/vfioN}), if sysfs shows one. */
    public Optional<Path> cdevOf(String name) {
        return sysfs.cdevOf(name).map(DEV_CDEVS::resolve);
    }

    /** Opens device {@code name} (e.g. {@code 0000:00:04.0}) through its cdev as a {@link PlainVfioDevice}. */
    public PlainVfioDevice openDevice(String name) {
        return openDevice(name, PlainVfioDevice::new);
    }

    /**
     * Opens device {@code name} through its cdev, binds it to this iommufd, attaches it to this IOAS and lets
     * {@code factory} build the model; nothing is left open if any step fails.
     */
    public <D extends VfioDevice> D openDevice(String name, DeviceFactory<D> factory) {
        Check.open(closed, this);
        String cdev = sysfs.cdevOf(name).orElseThrow(() -> VfioException.refused("open the VFIO cdev of " + name,
                cdevAdvice(name)));
        Path path = DEV_CDEVS.resolve(cdev);
        int dfd = kernel.open(path.toString(), Native.O_RDWR | Native.O_CLOEXEC);
        if (dfd < 0) {
            throw new VfioException("open " + path + " (" + name + ")", -dfd, switch (-dfd) {
                case Errno.ENOENT -> noCdevNode(name);
                case Errno.EACCES, Errno.EPERM -> "permission denied: run as root, give your user the cdev (chown USER "
                        + path + "), or have a privileged process open it and hand the fd over";
                case Errno.EBUSY -> "the device is already open, in this or another process";
                default -> "";
            });
        }
        return join(dfd, name, false, factory);
    }

    /**
     * Binds and attaches the device cdev fd {@code cdevFd}, opened by someone else and handed to this process
     * (QEMU's {@code -device vfio-pci,fd=N}); the fd is the device's from now on and closed with it.
     */
    public <D extends VfioDevice> D adoptDevice(int cdevFd, String name, DeviceFactory<D> factory) {
        return adoptDevice(cdevFd, name, false, factory);
    }

    /**
     * As {@link #adoptDevice(int, String, DeviceFactory)}; {@code bound} says the fd's open file is already bound
     * to this IOAS's iommufd (a copy of a cdev fd an earlier IOAS of the same iommufd had: a binding lasts as long
     * as the open file, and every device leaves its IOAS detached, so the file can join another).
     */
    public <D extends VfioDevice> D adoptDevice(int cdevFd, String name, boolean bound, DeviceFactory<D> factory) {
        Check.open(closed, this);
        return join(cdevFd, name, bound, factory);
    }

    private synchronized <D extends VfioDevice> D join(int dfd, String name, boolean bound, DeviceFactory<D> factory) {
        try {
            Check.open(closed, this);
            try (Arena a = Arena.ofConfined()) {
                if (!bound) {
                    MemorySegment bind = a.allocate(DeviceBindIommufd.LAYOUT);
                    DeviceBindIommufd.ARGSZ.set(bind, (int) DeviceBindIommufd.LAYOUT.byteSize());
                    DeviceBindIommufd.IOMMUFD.set(bind, fd);
                    int r = kernel.ioctl(dfd, IommufdAbi.VFIO_DEVICE_BIND_IOMMUFD, bind);
                    if (r < 0) {
                        throw new VfioException("VFIO_DEVICE_BIND_IOMMUFD of " + name, -r, bindAdvice(name, -r));
                    }
                }
                MemorySegment attach = a.allocate(DeviceAttachIommufdPt.LAYOUT);
                DeviceAttachIommufdPt.ARGSZ.set(attach, (int) DeviceAttachIommufdPt.LAYOUT.byteSize());
                DeviceAttachIommufdPt.PT_ID.set(attach, ioasId);
                int r = kernel.ioctl(dfd, IommufdAbi.VFIO_DEVICE_ATTACH_IOMMUFD_PT, attach);
                if (r < 0) {
                    throw new VfioException("VFIO_DEVICE_ATTACH_IOMMUFD_PT of " + name + " to IOAS " + ioasId, -r,
                            -r == Errno.EINVAL ? "the IOMMU cannot take the device into this address space (an "
                                    + "existing mapping may lie in a range it reserves)" : "");
                }
            }
            info = null; // an attached device narrows the valid IOVA ranges
            D device = factory.create(new DeviceHandle(this, name, dfd));
            devices.add(device);
            return device;
        } catch (RuntimeException | Error e) {
            kernel.close(dfd); // closing the cdev unbinds and detaches the device
            throw e;
        }
    }

    /** Why sysfs lists a cdev that /dev lacks: a no-IOMMU device gets no node, or devtmpfs is not there. */
    private String noCdevNode(String name) {
        OptionalInt g = sysfs.groupOf(name);
        if (g.isPresent() && kernel.exists(Path.of("/dev/vfio/noiommu-" + g.getAsInt()))) {
            return "the device is in no-IOMMU group " + g.getAsInt() + " (no IOMMU covers it), and the kernel makes "
                    + "no cdev node for such a device; it can only be used through VfioContainer.openUnsafeNoIommu(), "
                    + "and only if it does no DMA";
        }
        return "sysfs names the cdev but /dev has no node for it; is devtmpfs mounted on /dev?";
    }

    private String cdevAdvice(String name) {
        SysfsDevice d = sysfs.find(name);
        if (d == null) {
            return "no device named '" + name + "' in sysfs; list them with ./vfio4j groups";
        }
        if (!d.onVfio()) {
            return "the device is not bound to a VFIO driver: " + d.fix();
        }
        return "the device is on " + d.driver() + " but has no cdev: the kernel lacks CONFIG_VFIO_DEVICE_CDEV; "
                + "use its group through a VFIO container instead";
    }

    private String bindAdvice(String name, int errno) {
        return switch (errno) {
            case Errno.EBUSY -> {
                // binding claims DMA ownership of the whole group: a member on a host driver refuses it
                OptionalInt g = sysfs.groupOf(name);
                List<SysfsDevice> bad = g.isPresent() ? sysfs.blockers(g.getAsInt()) : List.of();
                yield bad.isEmpty() ? "the device is already bound, or its IOMMU group is open through /dev/vfio"
                        : "its IOMMU group " + g.getAsInt() + " is not viable: " + bad.stream().map(d -> d.name()
                                + " is on " + d.driver()).toList() + "; for example: " + bad.get(0).fix();
            }
            case Errno.ENOTTY -> "the fd is not a VFIO device cdev";
            default -> "";
        };
    }

    /**
     * {@code d} is about to close its fd {@code dfd}: detach it first, so that an open file that outlives this fd
     * (a copy of a cdev fd handed in) is free to join another IOAS and this one can be freed.
     */
    void deviceClosing(VfioDevice d, int dfd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(IommufdAbi.DeviceDetachIommufdPt.LAYOUT);
            IommufdAbi.DeviceDetachIommufdPt.ARGSZ.set(s, (int) IommufdAbi.DeviceDetachIommufdPt.LAYOUT.byteSize());
            kernel.ioctl(dfd, IommufdAbi.VFIO_DEVICE_DETACH_IOMMUFD_PT, s); // a failure leaves the close to undo it
        }
    }

    synchronized void deviceClosed(VfioDevice d) {
        devices.remove(d);
        info = null; // a detached device may widen the valid IOVA ranges
    }

    /** The devices attached to this IOAS and not yet closed. */
    public synchronized List<VfioDevice> devices() {
        return List.copyOf(devices);
    }

    /**
     * The valid IOVA ranges (IOMMU_IOAS_IOVA_RANGES) and the mapping granule (its {@code out_iova_alignment},
     * no finer than 4 KiB), asked of the kernel now. A fresh IOAS allows every IOVA; each attached device
     * takes out what its IOMMU reserves.
     */
    @Override
    public synchronized IommuInfo iommuInfo() {
        info = null;
        return cachedInfo();
    }

    private synchronized IommuInfo cachedInfo() {
        Check.open(closed, this);
        IommuInfo cached = info;
        if (cached != null) {
            return cached;
        }
        int room = 4;
        for (int attempt = 0; attempt < 4; attempt++) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(IoasIovaRanges.LAYOUT);
                MemorySegment ranges = a.allocate(IommufdAbi.IovaRange.LAYOUT, room);
                IoasIovaRanges.SIZE.set(s, (int) IoasIovaRanges.LAYOUT.byteSize());
                IoasIovaRanges.IOAS_ID.set(s, ioasId);
                IoasIovaRanges.NUM_IOVAS.set(s, room);
                IoasIovaRanges.ALLOWED_IOVAS.set(s, ranges.address());
                int r = kernel.ioctl(fd, IommufdAbi.IOMMU_IOAS_IOVA_RANGES, s);
                int n = (int) IoasIovaRanges.NUM_IOVAS.get(s);
                if (r == -Errno.EMSGSIZE && n > room) {
                    room = n; // more ranges than room: ask again with enough
                    continue;
                }
                if (r < 0) {
                    throw new VfioException("IOMMU_IOAS_IOVA_RANGES of IOAS " + ioasId, -r, "");
                }
                List<IovaRange> valid = new ArrayList<>(n);
                long size = IommufdAbi.IovaRange.LAYOUT.byteSize();
                for (int i = 0; i < n; i++) {
                    MemorySegment e = ranges.asSlice(i * size, size);
                    valid.add(new IovaRange((long) IommufdAbi.IovaRange.START.get(e),
                            (long) IommufdAbi.IovaRange.LAST.get(e)));
                }
                long align = Math.max(4096, (long) IoasIovaRanges.OUT_IOVA_ALIGNMENT.get(s));
                cached = new IommuInfo(Long.highestOneBit(align), valid, OptionalInt.empty());
                info = cached;
                return cached;
            }
        }
        throw VfioException.refused("IOMMU_IOAS_IOVA_RANGES", "the kernel kept asking for a larger buffer");
    }

    @Override
    public DmaMapping map(Arena owner, MemorySegment segment, long iova, Set<DmaPermission> permissions) {
        IommuInfo i = info;
        return dma.map(owner, segment, iova, permissions, i != null ? i : cachedInfo());
    }

    @Override
    public int unmap(long iova, long size) {
        return dma.unmap(iova, size);
    }

    @Override
    public DmaArena newDmaArena() {
        Check.open(closed, this);
        return new DmaArena(dma);
    }

    @Override
    public DmaBuffer allocate(long size, Set<DmaPermission> permissions) {
        return dma.allocate(cachedInfo(), size, permissions, buffers);
    }

    @Override
    public List<DmaMapping> mappings() {
        return dma.mappings();
    }

    /** Closes the buffers from {@link #allocate} and the devices, unmaps everything, frees the IOAS, closes the fd; idempotent. */
    @Override
    public void close() {
        List<VfioDevice> ds;
        synchronized (this) {
            if (closed) {
                return;
            }
            ds = new ArrayList<>(devices);
        }
        for (DmaBuffer b : List.copyOf(buffers)) {
            b.close();
        }
        for (int i = ds.size() - 1; i >= 0; i--) {
            ds.get(i).close();
        }
        synchronized (this) {
            dma.close();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(IommufdAbi.Destroy.LAYOUT);
                IommufdAbi.Destroy.SIZE.set(s, (int) IommufdAbi.Destroy.LAYOUT.byteSize());
                IommufdAbi.Destroy.ID.set(s, ioasId);
                kernel.ioctl(fd, IommufdAbi.IOMMU_DESTROY, s); // closing the fd would free it too; this says so first
            }
            closed = true;
            kernel.close(fd);
        }
    }

    Kernel kernel() {
        return kernel;
    }

    @Override
    public String toString() {
        return "iommufd IOAS " + ioasId + " (fd " + fd + ")";
    }
}
