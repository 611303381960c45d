package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;
import org.vfio4j.common.sys.VfioAbi;

/**
 * A VFIO container ({@code /dev/vfio/vfio}): one IOMMU address space shared by the groups attached to it.
 *
 * <p>Why this is the entry point: nothing about a device can be used before its group sits in a container with
 * an IOMMU backend, and DMA mappings belong to the container, not to a device. The backend is chosen when the
 * first group joins: Type1v2, falling back to Type1; the unsafe no-IOMMU backend only through
 * {@link #openUnsafeNoIommu()}. Closing the container closes its groups (and their devices) and drops every
 * DMA mapping.
 *
 * {@snippet :
 * try (VfioContainer container = VfioContainer.open();
 *      VfioGroup group = container.attach(4);                       // /dev/vfio/4
 *      VfioDevice edu = group.openDevice("0000:00:04.0");
 *      DmaBuffer buf = container.allocate(4096, DmaPermission.READ_WRITE)) {
 *     VfioRegion bar0 = edu.region(0);
 *     System.out.println("edu id " + Integer.toHexString(bar0.read32(0)));
 * }
 * }
 */
public final class VfioContainer implements DmaSpace {
    private static final Path DEV_VFIO = Path.of("/dev/vfio");

    private final Kernel kernel;
    private final int fd;
    private final boolean allowNoIommu;
    private final IommuGroups sysfs;
    private final List<VfioGroup> groups = new ArrayList<>();
    private final DmaMapper dma;
    /** Buffers this container allocated and that are still open: closed with the container, memory included. */
    private final Set<DmaBuffer> buffers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private @Nullable IommuType iommuType;
    /**
     * The IOMMU info as of the last query, set only once the backend is known to map DMA. Volatile so that
     * {@link #map} reads it without this container's lock (one monitor less per map); written under the lock.
     */
    private volatile @Nullable IommuInfo iommuInfo;
    private volatile boolean closed;

    private VfioContainer(Kernel kernel, int fd, boolean allowNoIommu, IommuGroups sysfs) {
        this.kernel = kernel;
        this.fd = fd;
        this.allowNoIommu = allowNoIommu;
        this.sysfs = sysfs;
        this.dma = new DmaMapper(kernel, fd);
    }

    /** Opens {@code /dev/vfio/vfio}, checks the API version and that a Type1 IOMMU backend is available. */
    public static VfioContainer open() {
        return open(Kernel.HOST, false, IommuGroups.system());
    }

    /**
     * Opens a container that also accepts no-IOMMU groups ({@code /dev/vfio/noiommu-N}). Such devices are not
     * isolated and cannot have DMA mappings: only for devices that do no DMA, on a kernel booted with
     * {@code vfio.enable_unsafe_noiommu_mode=1}.
     */
    public static VfioContainer openUnsafeNoIommu() {
        return open(Kernel.HOST, true, IommuGroups.system());
    }

    /** Opens a container through {@code kernel}, with {@code sysfs} for the advice that names devices. */
    static VfioContainer open(Kernel kernel, boolean noIommu, IommuGroups sysfs) {
        String path = DEV_VFIO.resolve("vfio").toString();
        int fd = kernel.open(path, Native.O_RDWR | Native.O_CLOEXEC);
        if (fd < 0) {
            throw new VfioException("open " + path, -fd, switch (-fd) {
                case Errno.ENOENT -> "VFIO is not available: load it (modprobe vfio-pci) on a host with an IOMMU "
                        + "enabled (intel_iommu=on or amd_iommu=on; Arm: an SMMU)";
                case Errno.EACCES, Errno.EPERM -> "permission denied: run as root, or give your user the VFIO devices";
                default -> "";
            });
        }
        VfioContainer c = new VfioContainer(kernel, fd, noIommu, sysfs);
        try {
            int version = kernel.ioctl(fd, VfioAbi.VFIO_GET_API_VERSION, 0L);
            if (version != VfioAbi.VFIO_API_VERSION) {
                throw new VfioException("VFIO_GET_API_VERSION", version < 0 ? -version : 0,
                        "the kernel speaks VFIO API " + version + ", vfio4j speaks " + VfioAbi.VFIO_API_VERSION);
            }
            if (!noIommu && !c.checkExtension(VfioAbi.VFIO_TYPE1v2_IOMMU) && !c.checkExtension(VfioAbi.VFIO_TYPE1_IOMMU)) {
                throw VfioException.refused("open VFIO container", "the kernel offers no Type1 IOMMU backend; load "
                        + "vfio_iommu_type1 (modprobe vfio_iommu_type1) on a host with an IOMMU enabled");
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The container fd (for KVM-VFIO and diagnostics). */
    public int fd() {
        Check.open(closed, this);
        return fd;
    }

    /** VFIO_GET_API_VERSION. */
    public int apiVersion() {
        int v = kernel.ioctl(fd(), VfioAbi.VFIO_GET_API_VERSION, 0L);
        if (v < 0) {
            throw new VfioException("VFIO_GET_API_VERSION", -v, "");
        }
        return v;
    }

    /** VFIO_CHECK_EXTENSION: true when the kernel supports {@code extension} (e.g. VfioAbi.VFIO_TYPE1v2_IOMMU). */
    public boolean checkExtension(int extension) {
        int r = kernel.ioctl(fd(), VfioAbi.VFIO_CHECK_EXTENSION, extension);
        return r > 0;
    }

    /**
     * Opens IOMMU group {@code number} and attaches it: checks viability (naming offending devices), sets the
     * container, and chooses the IOMMU backend if this is the first group.
     *
     * @throws GroupNotViableException when a device of the group is on a host driver
     */
    public synchronized VfioGroup attach(int number) {
        Check.open(closed, this);
        for (VfioGroup g : groups) {
            if (g.number() == number) {
                throw VfioException.refused("attach IOMMU group " + number, "it is already attached to this container");
            }
        }
        Path path = groupPath(number);
        int gfd = kernel.open(path.toString(), Native.O_RDWR | Native.O_CLOEXEC);
        if (gfd < 0) {
            throw new VfioException("open " + path, -gfd, groupOpenAdvice(number, path, -gfd));
        }
        try {
            GroupStatus status = VfioGroup.queryStatus(kernel, gfd, number);
            if (!status.viable()) {
                throw new GroupNotViableException(number, sysfs.blockers(number));
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment cfd = a.allocateFrom(ValueLayout.JAVA_INT, fd);
                int r = kernel.ioctl(gfd, VfioAbi.VFIO_GROUP_SET_CONTAINER, cfd);
                if (r < 0) {
                    throw new VfioException("VFIO_GROUP_SET_CONTAINER for group " + number, -r,
                            -r == Errno.EBUSY ? "the group is already in another container" : "");
                }
            }
            if (iommuType == null) {
                try {
                    iommuType = chooseAndSetIommu(path.getFileName().toString().startsWith("noiommu-"));
                } catch (RuntimeException e) {
                    kernel.ioctl(gfd, VfioAbi.VFIO_GROUP_UNSET_CONTAINER, 0L);
                    throw e;
                }
            }
        } catch (RuntimeException e) {
            kernel.close(gfd);
            throw e;
        }
        iommuInfo = null; // a new group can shrink the valid IOVA ranges
        VfioGroup g = new VfioGroup(this, number, gfd, path, sysfs);
        groups.add(g);
        return g;
    }

    private Path groupPath(int number) {
        Path plain = DEV_VFIO.resolve(Integer.toString(number));
        Path noiommu = DEV_VFIO.resolve("noiommu-" + number);
        return allowNoIommu && !kernel.exists(plain) && kernel.exists(noiommu) ? noiommu : plain;
    }

    private String groupOpenAdvice(int number, Path path, int errno) {
        return switch (errno) {
            case Errno.ENOENT -> {
                if (kernel.exists(DEV_VFIO.resolve("noiommu-" + number))) {
                    yield "group " + number + " is a no-IOMMU group (/dev/vfio/noiommu-" + number + "): its devices are "
                            + "not isolated; use VfioContainer.openUnsafeNoIommu() only for devices that do no DMA";
                }
                List<SysfsDevice> devs = sysfs.devices(number);
                if (devs.isEmpty()) {
                    yield "IOMMU group " + number + " does not exist; list the groups with ./vfio4j groups";
                }
                yield "no device of the group is bound to a VFIO driver yet; for example: " + devs.get(0).fix();
            }
            case Errno.EACCES, Errno.EPERM -> "permission denied: run as root or give your user the group "
                    + "(chown USER " + path + ") and enough RLIMIT_MEMLOCK for its DMA";
            case Errno.EBUSY -> "the group is already open, in this or another process; a group can be open once "
                    + "(find the holder with: fuser " + path + ")";
            default -> "";
        };
    }

    private IommuType chooseAndSetIommu(boolean noIommuGroup) {
        List<IommuType> candidates = noIommuGroup ? List.of(IommuType.NOIOMMU) : List.of(IommuType.TYPE1V2, IommuType.TYPE1);
        for (IommuType t : candidates) {
            if (checkExtension(t.id())) {
                int r = kernel.ioctl(fd, VfioAbi.VFIO_SET_IOMMU, t.id());
                if (r < 0) {
                    throw new VfioException("VFIO_SET_IOMMU " + t, -r, "");
                }
                return t;
            }
        }
        throw VfioException.refused("VFIO_SET_IOMMU", noIommuGroup
                ? "the kernel does not offer the no-IOMMU backend; boot with vfio.enable_unsafe_noiommu_mode=1"
                : "the kernel offers neither Type1v2 nor Type1; modprobe vfio_iommu_type1");
    }

    synchronized void detach(VfioGroup g, int gfd) {
        groups.remove(g);
        if (groups.isEmpty()) {
            dma.unmapAll(); // the kernel releases the IOMMU, and every mapping, when the last group leaves
        }
        kernel.ioctl(gfd, VfioAbi.VFIO_GROUP_UNSET_CONTAINER, 0L);
        if (groups.isEmpty()) {
            iommuType = null;
        }
        iommuInfo = null;
    }

    /** The attached groups. */
    public synchronized List<VfioGroup> groups() {
        return List.copyOf(groups);
    }

    /** The IOMMU backend in use, once a group is attached. */
    public synchronized Optional<IommuType> iommuType() {
        IommuType t = iommuType;
        return t == null ? Optional.empty() : Optional.of(t);
    }

    /**
     * VFIO_IOMMU_GET_INFO with its capabilities (valid IOVA ranges, DMA mappings available), asked of the
     * kernel now: the number of mappings available changes with every map and unmap.
     */
    @Override
    public synchronized IommuInfo iommuInfo() {
        iommuInfo = null;
        return cachedIommuInfo();
    }

    /** The IOMMU info as of the last query: the page sizes and ranges only change when groups come or go. */
    private IommuInfo cachedIommuInfo() {
        Check.open(closed, this);
        IommuType t = iommuType;
        if (t == null || !t.canMapDma()) {
            throw VfioException.refused("VFIO_IOMMU_GET_INFO", t == null
                    ? "attach a group first: the IOMMU backend is chosen when the first group joins"
                    : "a no-IOMMU container has no IOMMU to describe");
        }
        IommuInfo cached = iommuInfo;
        if (cached != null) {
            return cached;
        }
        long size = VfioAbi.IommuInfo.LAYOUT.byteSize();
        for (int attempt = 0; attempt < 3; attempt++) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(size, 8);
                VfioAbi.IommuInfo.ARGSZ.set(buf, (int) size);
                int r = kernel.ioctl(fd, VfioAbi.VFIO_IOMMU_GET_INFO, buf);
                if (r < 0) {
                    throw new VfioException("VFIO_IOMMU_GET_INFO", -r, "");
                }
                int argsz = (int) VfioAbi.IommuInfo.ARGSZ.get(buf);
                if (argsz > size) {
                    size = argsz; // the caps did not fit: ask again with room for them
                    continue;
                }
                int flags = (int) VfioAbi.IommuInfo.FLAGS.get(buf);
                long pgsizes = (flags & VfioAbi.VFIO_IOMMU_INFO_PGSIZES) != 0 ? (long) VfioAbi.IommuInfo.IOVA_PGSIZES.get(buf) : 0;
                int first = (flags & VfioAbi.VFIO_IOMMU_INFO_CAPS) != 0 ? (int) VfioAbi.IommuInfo.CAP_OFFSET.get(buf) : 0;
                cached = CapabilityChain.iommuInfo(buf, pgsizes, first);
                iommuInfo = cached;
                return cached;
            }
        }
        throw VfioException.refused("VFIO_IOMMU_GET_INFO", "the kernel kept asking for a larger buffer");
    }

    @Override
    public DmaMapping map(Arena owner, MemorySegment segment, long iova, Set<DmaPermission> permissions) {
        IommuInfo info = iommuInfo;
        return dma.map(owner, segment, iova, permissions, info != null ? info : dmaInfo("DMA map"));
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
        return dma.allocate(dmaInfo("DMA buffer of " + size + " bytes"), size, permissions, buffers);
    }

    private synchronized IommuInfo dmaInfo(String op) {
        IommuType t = iommuType;
        if (t == IommuType.NOIOMMU) {
            throw VfioException.refused(op, "a no-IOMMU container cannot map DMA: the device would see physical "
                    + "addresses and nothing would be isolated");
        }
        return cachedIommuInfo();
    }

    @Override
    public List<DmaMapping> mappings() {
        return dma.mappings();
    }

    /**
     * Closes the buffers from {@link #allocate}, the groups (and their devices), drops all mappings, and closes
     * the container fd; idempotent.
     */
    @Override
    public void close() {
        List<VfioGroup> gs;
        synchronized (this) {
            if (closed) {
                return;
            }
            gs = new ArrayList<>(groups);
        }
        for (DmaBuffer b : List.copyOf(buffers)) {
            b.close(); // unmap and free what allocate() handed out
        }
        for (int i = gs.size() - 1; i >= 0; i--) {
            gs.get(i).close();
        }
        synchronized (this) {
            closed = true;
            dma.close();
            kernel.close(fd);
        }
    }

    /** The kernel this container (and its groups, devices and mappings) talks to. */
    Kernel kernel() {
        return kernel;
    }

    @Override
    public String toString() {
        return "VFIO container " + fd;
    }
}
