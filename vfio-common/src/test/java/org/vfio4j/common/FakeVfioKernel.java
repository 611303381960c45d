package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.IommufdAbi;
import org.vfio4j.common.sys.Native;
import org.vfio4j.common.sys.VfioAbi;

/**
 * A VFIO kernel in memory: containers, groups and devices answer the ioctls vfio-common makes from a small
 * model, and every call that changes state is recorded in {@link #calls()} in the order it was made.
 *
 * <p>Why: the logic above the ioctls (which backend is chosen, what is mapped with which flags, what is
 * unmapped before what is closed, how a failure or an EINTR is handled) is vfio4j's, and must be testable
 * on a host without VFIO. What the fake does not prove is the kernel's side: the labs do that. Public so
 * that the other modules' tests (vfio-platform, devices-calxeda, machine-virt) build their containers on it.
 *
 * {@snippet :
 * FakeVfioKernel k = new FakeVfioKernel();
 * k.group(4).device("fff50000.ethernet", VfioAbi.VFIO_DEVICE_FLAGS_PLATFORM).region(0x1000).irq(1, automasked);
 * try (VfioContainer c = k.openContainer()) {
 *     c.attach(4);
 * }
 * assertEquals(List.of("VFIO_GROUP_SET_CONTAINER group 4", "VFIO_SET_IOMMU TYPE1V2", ...), k.calls());
 * }
 */
public final class FakeVfioKernel implements VfioKernel {
    /** Region offsets in a device fd, as vfio-pci lays them out: index &lt;&lt; 40. */
    public static final int REGION_SHIFT = 40;

    /** A DMA mapping the fake container holds. */
    public record Mapping(long iova, long size, long vaddr, int flags) {
        /** READ, WRITE or READ|WRITE, for assertions. */
        public String access() {
            return ((flags & VfioAbi.VFIO_DMA_MAP_FLAG_READ) != 0 ? "READ" : "")
                    + ((flags & 3) == 3 ? "|" : "")
                    + ((flags & VfioAbi.VFIO_DMA_MAP_FLAG_WRITE) != 0 ? "WRITE" : "");
        }
    }

    /** A group: viable unless told otherwise, behind an IOMMU unless {@link #noIommu()}. */
    public final class Group {
        final int number;
        boolean viable = true;
        boolean noIommu;
        final Map<String, Device> devices = new LinkedHashMap<>();
        @Nullable Container container;

        Group(int number) {
            this.number = number;
        }

        /** A device of the group served with VFIO device {@code flags} (VFIO_DEVICE_FLAGS_*). */
        public Device device(String name, int flags) {
            Device d = new Device(this, name, flags);
            devices.put(name, d);
            return d;
        }

        /** Makes the group not viable (a member on a host driver). */
        public Group notViable() {
            viable = false;
            return this;
        }

        /** Makes it a no-IOMMU group ({@code /dev/vfio/noiommu-N}). */
        public Group noIommu() {
            noIommu = true;
            return this;
        }
    }

    /** A device: its regions (backed by memory) and IRQ indexes. */
    public final class Device {
        final Group group;
        final String name;
        final int flags;
        final List<MemorySegment> regions = new ArrayList<>();
        final List<Integer> regionFlags = new ArrayList<>();
        final List<int[]> irqs = new ArrayList<>();

        final String cdev;

        Device(Group group, String name, int flags) {
            this.group = group;
            this.name = name;
            this.flags = flags;
            this.cdev = "vfio" + nextCdev++;
        }

        /** The device's cdev name ({@code vfioN} under {@code /dev/vfio/devices}), numbered as devices are made. */
        public String cdev() {
            return cdev;
        }

        /** Adds a readable, writable region of {@code size} bytes (trapped: no mmap flag). */
        public Device region(long size) {
            return region(size, VfioAbi.VFIO_REGION_INFO_FLAG_READ | VfioAbi.VFIO_REGION_INFO_FLAG_WRITE);
        }

        /** Adds a region with VFIO_REGION_INFO_FLAG_* {@code flags}. */
        public Device region(long size, int flags) {
            regions.add(MemorySegment.ofArray(new byte[(int) size]));
            regionFlags.add(flags);
            return this;
        }

        /** Adds an IRQ index of {@code count} vectors with VFIO_IRQ_INFO_* {@code flags}. */
        public Device irq(int count, int flags) {
            irqs.add(new int[] {count, flags});
            return this;
        }

        /** The bytes behind region {@code index} (what pread/pwrite reach). */
        public MemorySegment regionMemory(int index) {
            return regions.get(index);
        }
    }

    final class Container {
        final int fd;
        @Nullable String iommu;
        final List<Group> groups = new ArrayList<>();
        final TreeMap<Long, Mapping> mappings = new TreeMap<>();

        Container(int fd) {
            this.fd = fd;
        }
    }

    final class Iommufd {
        final Map<Integer, Ioas> ioas = new TreeMap<>();
    }

    final class Ioas {
        final int id;
        final TreeMap<Long, Mapping> mappings = new TreeMap<>();
        final List<Device> devices = new ArrayList<>();

        Ioas(int id) {
            this.id = id;
        }
    }

    private sealed interface Fd permits ContainerFd, GroupFd, DeviceFd, IommufdFd, CdevFd {
    }

    private record IommufdFd(Iommufd i) implements Fd {
    }

    /** A device opened through its cdev: usable once bound to an iommufd and attached to one of its IOASes. */
    private static final class CdevFd implements Fd {
        final Device d;
        @Nullable Iommufd bound;
        @Nullable Ioas attached;

        CdevFd(Device d) {
            this.d = d;
        }
    }

    private record ContainerFd(Container c) implements Fd {
    }

    private record GroupFd(Group g) implements Fd {
    }

    private record DeviceFd(Device d) implements Fd {
    }

    private final Map<Integer, Group> groups = new TreeMap<>();
    private final Map<Integer, Fd> fds = new HashMap<>();
    private final List<Container> containers = new ArrayList<>();
    private final List<String> calls = new ArrayList<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final Set<Integer> extensions = new java.util.HashSet<>(
            Set.of(VfioAbi.VFIO_TYPE1_IOMMU, VfioAbi.VFIO_TYPE1v2_IOMMU, VfioAbi.VFIO_NOIOMMU_IOMMU));
    private final List<Iommufd> iommufds = new ArrayList<>();
    private int nextFd = 1000;
    private int nextCdev;
    private int nextObjectId = 1;
    private int interrupts;
    private long pageSizes = 0x40201000L; // 4 KiB, 2 MiB, 1 GiB

    /** Group {@code number}, made on first use. */
    public synchronized Group group(int number) {
        return groups.computeIfAbsent(number, Group::new);
    }

    /** Makes the next call of {@code op} (an ioctl's name, "open", "pread", "pwrite" or "mmap") fail with {@code errno}. */
    public synchronized FakeVfioKernel failNext(String op, int errno) {
        failures.put(op, errno);
        return this;
    }

    /** Makes the next {@code n} calls (of any kind but close) return {@code -EINTR}, as a signal would. */
    public synchronized FakeVfioKernel interruptNext(int n) {
        interrupts = n;
        return this;
    }

    /** Withdraws a backend: VFIO_CHECK_EXTENSION says no to it. */
    public synchronized FakeVfioKernel withoutExtension(int extension) {
        extensions.remove(extension);
        return this;
    }

    /** The bytes behind region {@code index} of device {@code name} in group {@code group}. */
    public synchronized MemorySegment regionMemoryOf(int group, String name, int index) {
        return groups.get(group).devices.get(name).regionMemory(index);
    }

    /** The calls that changed state, oldest first (queries are not recorded). */
    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    /** Records a line in {@link #calls()}: lets a test put its own events (RAM freed) in the same order. */
    public synchronized void note(String event) {
        calls.add(event);
    }

    /** The mappings of every container and IOAS still open, in IOVA order per container or IOAS. */
    public synchronized List<Mapping> mappings() {
        List<Mapping> out = new ArrayList<>(containers.stream().flatMap(c -> c.mappings.values().stream()).toList());
        iommufds.forEach(i -> i.ioas.values().forEach(a -> out.addAll(a.mappings.values())));
        return out;
    }

    /** An iommufd IOAS on this kernel, as {@link IommufdIoas#open()} makes one on the host's; cdevs from {@code sysfs}. */
    public IommufdIoas openIommufd(IommuGroups sysfs) {
        return IommufdIoas.open(new Kernel(this), sysfs);
    }

    /** How many fds are open (containers, groups, devices): 0 once everything was closed. */
    public synchronized int openFds() {
        return fds.size();
    }

    /** A container opened on this kernel, as {@link VfioContainer#open()} opens one on the host's. */
    public VfioContainer openContainer() {
        return VfioContainer.open(new Kernel(this), false, new IommuGroups(Path.of("/nonexistent")));
    }

    /** A container that also accepts no-IOMMU groups, as {@link VfioContainer#openUnsafeNoIommu()}. */
    public VfioContainer openUnsafeNoIommu() {
        return VfioContainer.open(new Kernel(this), true, new IommuGroups(Path.of("/nonexistent")));
    }

    /** How containers are opened for {@link GuestContainer}s on this kernel. */
    public Supplier<VfioContainer> opener() {
        return this::openContainer;
    }

    /** A {@link GuestContainer} on this kernel, for {@code ram} at guest physical {@code ramBase}. */
    public GuestContainer guestContainer(MemorySegment ram, long ramBase, GuestContainer.Listener listener) {
        return new GuestContainer(this::openContainer, this::openUnsafeNoIommu, ram, ramBase, listener);
    }

    private boolean failing(String op, int[] errno) {
        if (interrupts > 0) {
            interrupts--;
            errno[0] = Errno.EINTR;
            return true;
        }
        Integer e = failures.remove(op);
        if (e != null) {
            errno[0] = e;
            return true;
        }
        return false;
    }

    private int newFd(Fd f) {
        int fd = nextFd++;
        fds.put(fd, f);
        return fd;
    }

    @Override
    public synchronized int open(String path, int flags) {
        int[] e = new int[1];
        if (failing("open", e)) {
            return -e[0];
        }
        if (path.equals("/dev/iommu")) {
            Iommufd i = new Iommufd();
            iommufds.add(i);
            calls.add("open iommufd");
            return newFd(new IommufdFd(i));
        }
        if (path.startsWith("/dev/vfio/devices/")) {
            String cdev = Path.of(path).getFileName().toString();
            for (Group g : groups.values()) {
                for (Device d : g.devices.values()) {
                    if (d.cdev.equals(cdev)) {
                        calls.add("open cdev " + d.name);
                        return newFd(new CdevFd(d));
                    }
                }
            }
            return -Errno.ENOENT;
        }
        if (path.equals("/dev/vfio/vfio")) {
            Container c = new Container(nextFd);
            containers.add(c);
            calls.add("open container");
            return newFd(new ContainerFd(c));
        }
        String name = Path.of(path).getFileName().toString();
        boolean noIommu = name.startsWith("noiommu-");
        Group g = groups.get(Integer.parseInt(noIommu ? name.substring(8) : name));
        if (g == null || g.noIommu != noIommu) {
            return -Errno.ENOENT;
        }
        if (fds.values().stream().anyMatch(f -> f instanceof GroupFd gf && gf.g() == g)) {
            return -Errno.EBUSY;
        }
        calls.add("open group " + g.number);
        return newFd(new GroupFd(g));
    }

    /** A second fd for the open file behind {@code fd}, as fcntl(F_DUPFD) makes: the file lives until both close. */
    public synchronized int dup(int fd) {
        Fd f = fds.get(fd);
        if (f == null) {
            return -Errno.EBADF;
        }
        int copy = nextFd++;
        fds.put(copy, f);
        return copy;
    }

    @Override
    public synchronized int close(int fd) {
        Fd f = fds.remove(fd);
        if (f != null && fds.containsValue(f)) {
            return 0; // another fd still holds the open file
        }
        switch (f) {
            case null -> {
                return -Errno.EBADF;
            }
            case ContainerFd cf -> {
                calls.add("close container" + (cf.c().mappings.isEmpty() ? "" : " with " + cf.c().mappings.size()
                        + " mappings left"));
                cf.c().mappings.clear();
                containers.remove(cf.c());
            }
            case GroupFd gf -> {
                Container c = gf.g().container;
                if (c != null) { // the kernel takes the group out of its container when the fd goes
                    unset(gf.g(), c);
                }
                calls.add("close group " + gf.g().number);
            }
            case DeviceFd df -> calls.add("close device " + df.d().name);
            case IommufdFd(Iommufd i) -> {
                int left = i.ioas.values().stream().mapToInt(a -> a.mappings.size()).sum();
                calls.add("close iommufd" + (left == 0 ? "" : " with " + left + " mappings left"));
                iommufds.remove(i);
            }
            case CdevFd cf -> {
                Ioas a = cf.attached;
                if (a != null) {
                    a.devices.remove(cf.d);
                }
                calls.add("close cdev " + cf.d.name);
            }
        }
        return 0;
    }

    private void unset(Group g, Container c) {
        c.groups.remove(g);
        g.container = null;
        calls.add("VFIO_GROUP_UNSET_CONTAINER group " + g.number);
        if (c.groups.isEmpty()) {
            if (!c.mappings.isEmpty()) {
                calls.add("IOMMU released with " + c.mappings.size() + " mappings");
            }
            c.mappings.clear();
            c.iommu = null;
        }
    }

    @Override
    public synchronized int ioctl(int fd, long request, long arg) {
        Fd f = fds.get(fd);
        if (f == null) {
            return -Errno.EBADF;
        }
        String op = name(request, f);
        int[] e = new int[1];
        if (failing(op, e)) {
            return -e[0];
        }
        if (request == VfioAbi.VFIO_GET_API_VERSION) {
            return VfioAbi.VFIO_API_VERSION;
        }
        if (f instanceof ContainerFd(Container c)) {
            if (request == VfioAbi.VFIO_CHECK_EXTENSION) {
                return extensions.contains((int) arg) ? 1 : 0;
            }
            if (request == VfioAbi.VFIO_SET_IOMMU) {
                if (c.groups.isEmpty()) {
                    return -Errno.EINVAL; // the kernel needs a group first
                }
                c.iommu = java.util.Arrays.stream(IommuType.values()).filter(t -> t.id() == (int) arg).findFirst()
                        .orElseThrow().name();
                calls.add("VFIO_SET_IOMMU " + c.iommu);
                return 0;
            }
        }
        if (f instanceof GroupFd(Group g) && request == VfioAbi.VFIO_GROUP_UNSET_CONTAINER) {
            Container c = g.container;
            if (c == null) {
                return -Errno.EINVAL;
            }
            unset(g, c);
            return 0;
        }
        if (f instanceof CdevFd cf && cf.bound != null && request == VfioAbi.VFIO_DEVICE_RESET) {
            calls.add("VFIO_DEVICE_RESET " + cf.d.name);
            return (cf.d.flags & VfioAbi.VFIO_DEVICE_FLAGS_RESET) != 0 ? 0 : -Errno.ENOTTY;
        }
        if (f instanceof DeviceFd(Device d) && request == VfioAbi.VFIO_DEVICE_RESET) {
            calls.add("VFIO_DEVICE_RESET " + d.name);
            return (d.flags & VfioAbi.VFIO_DEVICE_FLAGS_RESET) != 0 ? 0 : -Errno.ENOTTY;
        }
        return -Errno.ENOTTY;
    }

    @Override
    public synchronized int ioctl(int fd, long request, MemorySegment s) {
        Fd f = fds.get(fd);
        if (f == null) {
            return -Errno.EBADF;
        }
        String op = name(request, f);
        int[] e = new int[1];
        if (failing(op, e)) {
            return -e[0];
        }
        return switch (f) {
            case ContainerFd(Container c) -> container(c, request, s);
            case GroupFd(Group g) -> group(g, request, s);
            case DeviceFd(Device d) -> device(d, request, s);
            case IommufdFd(Iommufd i) -> iommufd(i, request, s);
            case CdevFd cf -> cdev(cf, request, s);
        };
    }

    private int container(Container c, long request, MemorySegment s) {
        if (c.iommu == null) {
            return -Errno.EINVAL;
        }
        if (request == VfioAbi.VFIO_IOMMU_GET_INFO) {
            VfioAbi.IommuInfo.FLAGS.set(s, VfioAbi.VFIO_IOMMU_INFO_PGSIZES);
            VfioAbi.IommuInfo.IOVA_PGSIZES.set(s, pageSizes);
            return 0;
        }
        if (request == VfioAbi.VFIO_IOMMU_MAP_DMA) {
            long iova = (long) VfioAbi.DmaMap.IOVA.get(s), size = (long) VfioAbi.DmaMap.SIZE.get(s);
            Map.Entry<Long, Mapping> below = c.mappings.floorEntry(iova + size - 1);
            if (below != null && below.getValue().iova() + below.getValue().size() > iova) {
                return -Errno.EEXIST;
            }
            Mapping m = new Mapping(iova, size, (long) VfioAbi.DmaMap.VADDR.get(s), (int) VfioAbi.DmaMap.FLAGS.get(s));
            c.mappings.put(iova, m);
            calls.add("VFIO_IOMMU_MAP_DMA iova=0x" + Long.toHexString(iova) + " size=0x" + Long.toHexString(size) + " "
                    + m.access());
            return 0;
        }
        if (request == VfioAbi.VFIO_IOMMU_UNMAP_DMA) {
            long iova = (long) VfioAbi.DmaUnmap.IOVA.get(s), size = (long) VfioAbi.DmaUnmap.SIZE.get(s);
            long unmapped = 0;
            for (Mapping m : List.copyOf(c.mappings.subMap(iova, true, iova + size - 1, true).values())) {
                if (m.iova() + m.size() <= iova + size) {
                    c.mappings.remove(m.iova());
                    unmapped += m.size();
                }
            }
            VfioAbi.DmaUnmap.SIZE.set(s, unmapped);
            calls.add("VFIO_IOMMU_UNMAP_DMA iova=0x" + Long.toHexString(iova) + " size=0x" + Long.toHexString(size));
            return 0;
        }
        return -Errno.ENOTTY;
    }

    private int iommufd(Iommufd i, long request, MemorySegment s) {
        if (request == IommufdAbi.IOMMU_IOAS_ALLOC) {
            Ioas a = new Ioas(nextObjectId++);
            i.ioas.put(a.id, a);
            IommufdAbi.IoasAlloc.OUT_IOAS_ID.set(s, a.id);
            calls.add("IOMMU_IOAS_ALLOC ioas " + a.id);
            return 0;
        }
        if (request == IommufdAbi.IOMMU_DESTROY) {
            Ioas a = i.ioas.get((int) IommufdAbi.Destroy.ID.get(s));
            if (a == null) {
                return -Errno.ENOENT;
            }
            if (!a.devices.isEmpty()) {
                return -Errno.EBUSY;
            }
            i.ioas.remove(a.id);
            calls.add("IOMMU_DESTROY ioas " + a.id + (a.mappings.isEmpty() ? "" : " with " + a.mappings.size()
                    + " mappings left"));
            return 0;
        }
        if (request == IommufdAbi.IOMMU_IOAS_IOVA_RANGES) {
            Ioas a = i.ioas.get((int) IommufdAbi.IoasIovaRanges.IOAS_ID.get(s));
            if (a == null) {
                return -Errno.ENOENT;
            }
            // a fresh IOAS allows everything; an attached device reserves the x86 MSI window
            List<long[]> ranges = a.devices.isEmpty() ? List.of(new long[] {0, -1})
                    : List.of(new long[] {0, 0xfedf_ffffL}, new long[] {0xfef0_0000L, -1});
            int room = (int) IommufdAbi.IoasIovaRanges.NUM_IOVAS.get(s);
            IommufdAbi.IoasIovaRanges.NUM_IOVAS.set(s, ranges.size());
            IommufdAbi.IoasIovaRanges.OUT_IOVA_ALIGNMENT.set(s, 4096L);
            if (room < ranges.size()) {
                return -Errno.EMSGSIZE;
            }
            long size = IommufdAbi.IovaRange.LAYOUT.byteSize();
            MemorySegment out = MemorySegment.ofAddress((long) IommufdAbi.IoasIovaRanges.ALLOWED_IOVAS.get(s))
                    .reinterpret(room * size);
            for (int k = 0; k < ranges.size(); k++) {
                MemorySegment e = out.asSlice(k * size, size);
                IommufdAbi.IovaRange.START.set(e, ranges.get(k)[0]);
                IommufdAbi.IovaRange.LAST.set(e, ranges.get(k)[1]);
            }
            return 0;
        }
        if (request == IommufdAbi.IOMMU_IOAS_MAP) {
            Ioas a = i.ioas.get((int) IommufdAbi.IoasMap.IOAS_ID.get(s));
            int flags = (int) IommufdAbi.IoasMap.FLAGS.get(s);
            if (a == null) {
                return -Errno.ENOENT;
            }
            if ((flags & IommufdAbi.IOMMU_IOAS_MAP_FIXED_IOVA) == 0) {
                return -Errno.EINVAL; // vfio4j always chooses the IOVA; the fake does not allocate
            }
            long iova = (long) IommufdAbi.IoasMap.IOVA.get(s), size = (long) IommufdAbi.IoasMap.LENGTH.get(s);
            Map.Entry<Long, Mapping> below = a.mappings.floorEntry(iova + size - 1);
            if (below != null && below.getValue().iova() + below.getValue().size() > iova) {
                return -Errno.EADDRINUSE;
            }
            int access = ((flags & IommufdAbi.IOMMU_IOAS_MAP_READABLE) != 0 ? VfioAbi.VFIO_DMA_MAP_FLAG_READ : 0)
                    | ((flags & IommufdAbi.IOMMU_IOAS_MAP_WRITEABLE) != 0 ? VfioAbi.VFIO_DMA_MAP_FLAG_WRITE : 0);
            Mapping m = new Mapping(iova, size, (long) IommufdAbi.IoasMap.USER_VA.get(s), access);
            a.mappings.put(iova, m);
            calls.add("IOMMU_IOAS_MAP ioas " + a.id + " iova=0x" + Long.toHexString(iova) + " size=0x"
                    + Long.toHexString(size) + " " + m.access());
            return 0;
        }
        if (request == IommufdAbi.IOMMU_IOAS_UNMAP) {
            Ioas a = i.ioas.get((int) IommufdAbi.IoasUnmap.IOAS_ID.get(s));
            if (a == null) {
                return -Errno.ENOENT;
            }
            long iova = (long) IommufdAbi.IoasUnmap.IOVA.get(s), size = (long) IommufdAbi.IoasUnmap.LENGTH.get(s);
            long unmapped = 0;
            for (Mapping m : List.copyOf(a.mappings.subMap(iova, true, iova + size - 1, true).values())) {
                if (m.iova() + m.size() > iova + size) {
                    return -Errno.ENOENT; // the kernel does not split an area
                }
                a.mappings.remove(m.iova());
                unmapped += m.size();
            }
            IommufdAbi.IoasUnmap.LENGTH.set(s, unmapped);
            calls.add("IOMMU_IOAS_UNMAP ioas " + a.id + " iova=0x" + Long.toHexString(iova) + " size=0x"
                    + Long.toHexString(size));
            return unmapped == 0 ? -Errno.ENOENT : 0;
        }
        return -Errno.ENOTTY;
    }

    private int cdev(CdevFd cf, long request, MemorySegment s) {
        if (request == IommufdAbi.VFIO_DEVICE_BIND_IOMMUFD) {
            if (cf.bound != null) {
                return -Errno.EINVAL;
            }
            if (!(fds.get((int) IommufdAbi.DeviceBindIommufd.IOMMUFD.get(s)) instanceof IommufdFd(Iommufd i))) {
                return -Errno.EBADF;
            }
            Group g = cf.d.group;
            // the kernel claims DMA ownership of the whole group: a member on a host driver, or the group
            // open through /dev/vfio, makes that fail
            if (!g.viable || fds.values().stream().anyMatch(x -> x instanceof GroupFd gf && gf.g() == g)) {
                return -Errno.EBUSY;
            }
            cf.bound = i;
            IommufdAbi.DeviceBindIommufd.OUT_DEVID.set(s, nextObjectId++);
            calls.add("VFIO_DEVICE_BIND_IOMMUFD " + cf.d.name);
            return 0;
        }
        if (request == IommufdAbi.VFIO_DEVICE_DETACH_IOMMUFD_PT) {
            Ioas a = cf.attached;
            if (a == null) {
                return -Errno.EINVAL;
            }
            a.devices.remove(cf.d);
            cf.attached = null;
            calls.add("VFIO_DEVICE_DETACH_IOMMUFD_PT " + cf.d.name);
            return 0;
        }
        if (request == IommufdAbi.VFIO_DEVICE_ATTACH_IOMMUFD_PT) {
            Iommufd i = cf.bound;
            if (i == null) {
                return -Errno.EINVAL;
            }
            Ioas a = i.ioas.get((int) IommufdAbi.DeviceAttachIommufdPt.PT_ID.get(s));
            if (a == null) {
                return -Errno.ENOENT;
            }
            a.devices.add(cf.d);
            cf.attached = a;
            calls.add("VFIO_DEVICE_ATTACH_IOMMUFD_PT " + cf.d.name + " ioas " + a.id);
            return 0;
        }
        if (cf.bound == null) {
            return -Errno.EINVAL; // an unbound cdev answers nothing else
        }
        return device(cf.d, request, s);
    }

    private int group(Group g, long request, MemorySegment s) {
        if (request == VfioAbi.VFIO_GROUP_GET_STATUS) {
            VfioAbi.GroupStatus.FLAGS.set(s, (g.viable ? VfioAbi.VFIO_GROUP_FLAGS_VIABLE : 0)
                    | (g.container != null ? VfioAbi.VFIO_GROUP_FLAGS_CONTAINER_SET : 0));
            return 0;
        }
        if (request == VfioAbi.VFIO_GROUP_SET_CONTAINER) {
            int cfd = s.get(ValueLayout.JAVA_INT, 0);
            if (!(fds.get(cfd) instanceof ContainerFd(Container c))) {
                return -Errno.EBADF;
            }
            if (g.container != null) {
                return -Errno.EBUSY;
            }
            if (!g.viable) {
                return -Errno.EPERM;
            }
            g.container = c;
            c.groups.add(g);
            calls.add("VFIO_GROUP_SET_CONTAINER group " + g.number + (containers.size() > 1 ? " in container "
                    + containers.indexOf(c) : ""));
            return 0;
        }
        if (request == VfioAbi.VFIO_GROUP_GET_DEVICE_FD) {
            Container c = g.container;
            if (c == null || c.iommu == null) {
                return -Errno.EINVAL;
            }
            Device d = g.devices.get(s.reinterpret(256).getString(0));
            if (d == null) {
                return -Errno.ENODEV;
            }
            if (fds.values().stream().anyMatch(f -> f instanceof DeviceFd df && df.d() == d)) {
                return -Errno.EBUSY;
            }
            calls.add("open device " + d.name);
            return newFd(new DeviceFd(d));
        }
        return -Errno.ENOTTY;
    }

    private int device(Device d, long request, MemorySegment s) {
        if (request == VfioAbi.VFIO_DEVICE_GET_INFO) {
            VfioAbi.DeviceInfo.FLAGS.set(s, d.flags);
            VfioAbi.DeviceInfo.NUM_REGIONS.set(s, d.regions.size());
            VfioAbi.DeviceInfo.NUM_IRQS.set(s, d.irqs.size());
            return 0;
        }
        if (request == VfioAbi.VFIO_DEVICE_GET_REGION_INFO) {
            int index = (int) VfioAbi.RegionInfo.INDEX.get(s);
            if (index < 0 || index >= d.regions.size()) {
                return -Errno.EINVAL;
            }
            VfioAbi.RegionInfo.FLAGS.set(s, d.regionFlags.get(index));
            VfioAbi.RegionInfo.SIZE.set(s, d.regions.get(index).byteSize());
            VfioAbi.RegionInfo.OFFSET.set(s, (long) index << REGION_SHIFT);
            return 0;
        }
        if (request == VfioAbi.VFIO_DEVICE_GET_IRQ_INFO) {
            int index = (int) VfioAbi.IrqInfo.INDEX.get(s);
            if (index < 0 || index >= d.irqs.size()) {
                return -Errno.EINVAL;
            }
            VfioAbi.IrqInfo.COUNT.set(s, d.irqs.get(index)[0]);
            VfioAbi.IrqInfo.FLAGS.set(s, d.irqs.get(index)[1]);
            return 0;
        }
        if (request == VfioAbi.VFIO_DEVICE_SET_IRQS) {
            calls.add("VFIO_DEVICE_SET_IRQS " + d.name + " index " + VfioAbi.IrqSet.INDEX.get(s) + " start "
                    + VfioAbi.IrqSet.START.get(s) + " count " + VfioAbi.IrqSet.COUNT.get(s) + " flags 0x"
                    + Integer.toHexString((int) VfioAbi.IrqSet.FLAGS.get(s)));
            return 0;
        }
        return -Errno.ENOTTY;
    }

    @Override
    public synchronized long pread(int fd, MemorySegment buf, long count, long offset) {
        return access(fd, buf, count, offset, "pread");
    }

    @Override
    public synchronized long pwrite(int fd, MemorySegment buf, long count, long offset) {
        return access(fd, buf, count, offset, "pwrite");
    }

    private @Nullable Device deviceOf(int fd) {
        return switch (fds.get(fd)) {
            case DeviceFd(Device d) -> d;
            case CdevFd cf when cf.bound != null -> cf.d;
            case null, default -> null;
        };
    }

    private long access(int fd, MemorySegment buf, long count, long offset, String op) {
        Device d = deviceOf(fd);
        if (d == null) {
            return -Errno.EBADF;
        }
        int[] e = new int[1];
        if (failing(op, e)) {
            return -e[0];
        }
        int index = (int) (offset >>> REGION_SHIFT);
        long at = offset & ((1L << REGION_SHIFT) - 1);
        if (index >= d.regions.size() || at + count > d.regions.get(index).byteSize()) {
            return -Errno.EINVAL;
        }
        MemorySegment region = d.regions.get(index);
        if (op.equals("pread")) {
            MemorySegment.copy(region, at, buf, 0, count);
        } else {
            MemorySegment.copy(buf, 0, region, at, count);
        }
        return count;
    }

    /** Maps fresh anonymous memory (not the region's bytes: a fake cannot share them with the caller's mapping). */
    @Override
    public synchronized long mmap(long length, int prot, int flags, int fd, long offset) {
        Device d = deviceOf(fd);
        if (d == null) {
            return -Errno.EBADF;
        }
        int[] e = new int[1];
        if (failing("mmap", e)) {
            return -e[0];
        }
        calls.add("mmap " + d.name + " region " + (offset >>> REGION_SHIFT));
        return Native.mmap(length, prot, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0);
    }

    @Override
    public int munmap(long address, long length) {
        return Native.munmap(address, length);
    }

    @Override
    public synchronized boolean exists(Path path) {
        String name = path.getFileName().toString();
        if (name.equals("vfio")) {
            return true;
        }
        boolean noIommu = name.startsWith("noiommu-");
        Group g = groups.get(Integer.valueOf(noIommu ? name.substring(8) : name));
        return g != null && g.noIommu == noIommu;
    }

    private static String name(long request, Fd f) {
        if (request == VfioAbi.VFIO_IOMMU_GET_INFO) {
            return f instanceof DeviceFd ? "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO" : "VFIO_IOMMU_GET_INFO"; // same number
        }
        for (Class<?> abi : List.of(VfioAbi.class, IommufdAbi.class)) {
            for (var field : abi.getFields()) {
                try {
                    if (field.getType() == long.class && field.getLong(null) == request) {
                        return field.getName();
                    }
                } catch (IllegalAccessException ex) {
                    throw new AssertionError(ex);
                }
            }
        }
        return "ioctl 0x" + Long.toHexString(request);
    }

    @Override
    public String toString() {
        return "a fake VFIO kernel";
    }
}
