package org.vfio4j.virt.run;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;
import org.vfio4j.virt.RamBackend;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.kvm.KvmException;

/**
 * Guest RAM: a mapping owned by a shared arena (vCPU threads and device models may touch it), unmapped when
 * the arena closes. Anonymous private memory by default; a memfd (shared, in hugepages with
 * {@code hugetlb=on}) or an unlinked file in {@code -mem-path DIR} (private, as QEMU maps it) when the
 * {@link RamBackend} says so.
 *
 * <p>Why mmap rather than {@code Arena.allocate}: the kernel hands out zeroed pages lazily (a 2 GiB guest
 * costs only what it touches) and the base is page aligned, which KVM memory slots require. Hugepages are
 * reserved when they are mapped, so a host without enough of them fails here, at start, with the numbers.
 */
public final class GuestRam implements AutoCloseable {
    private static final int MAP_NORESERVE = 0x4000;
    private final MmioRange range;
    private final Arena arena;
    private final MemorySegment memory;

    private GuestRam(MmioRange range, Arena arena, MemorySegment memory) {
        this.range = range;
        this.arena = arena;
        this.memory = memory;
    }

    /** Maps {@code range.size()} bytes of anonymous memory for guest range {@code range}. */
    public static GuestRam allocate(MmioRange range) {
        return allocate(range, RamBackend.ANONYMOUS);
    }

    /**
     * Maps {@code range.size()} bytes for guest range {@code range} from {@code backend}.
     *
     * @throws KvmException naming what failed and what to do (reserve hugepages, a smaller -m, a writable directory)
     */
    public static GuestRam allocate(MmioRange range, RamBackend backend) {
        long size = range.size();
        long addr = switch (backend.kind()) {
            case ANONYMOUS -> Native.mmap(size, Native.PROT_READ | Native.PROT_WRITE,
                    Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            case MEMFD -> mapFd(size, backend, memfd(backend), Native.MAP_SHARED);
            case FILE -> mapFd(size, backend, tmpFile(Objects.requireNonNull(backend.memPath())), Native.MAP_PRIVATE);
        };
        if (Native.failed(addr)) {
            throw new KvmException("mmap of " + size + " bytes of guest RAM (" + backend.describe() + ")", (int) -addr,
                    -addr == Errno.ENOMEM && backend.kind() != RamBackend.Kind.ANONYMOUS ? hugepageAdvice(size, backend)
                            : "use a smaller -m");
        }
        Arena arena = Arena.ofShared();
        MemorySegment seg = MemorySegment.ofAddress(addr).reinterpret(size, arena, s -> Native.munmap(s.address(), size));
        return new GuestRam(range, arena, seg);
    }

    private static int memfd(RamBackend backend) {
        long page = backend.hugePageSize();
        int flags = Native.MFD_CLOEXEC
                | (page > 0 ? Native.MFD_HUGETLB | (Long.numberOfTrailingZeros(page) << Native.MFD_HUGE_SHIFT) : 0);
        int fd = Native.memfdCreate("vfio4j-guest-ram", flags);
        if (fd < 0) {
            throw new KvmException("memfd_create for guest RAM (" + backend.describe() + ")", -fd, -fd == Errno.EINVAL
                    && page > 0 ? "the kernel has no " + (page >> 20) + " MiB hugepages (CONFIG_HUGETLBFS; see "
                    + "/sys/kernel/mm/hugepages)" : "");
        }
        return fd;
    }

    private static int tmpFile(Path dir) {
        String path = dir.resolve("vfio4j-guest-ram-" + Native.getpid() + "-" + Long.toHexString(System.nanoTime())).toString();
        int fd = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_EXCL | Native.O_CLOEXEC, 0600);
        if (fd < 0) {
            throw new KvmException("open " + path + " for guest RAM (-mem-path " + dir + ")", -fd,
                    "give a directory this user may create files in, such as a hugetlbfs mount");
        }
        Native.unlink(path); // the mapping keeps the pages; nothing is left behind in DIR
        return fd;
    }

    /** Sizes the fd to the RAM and maps it; the fd is closed either way (the mapping keeps what it needs). */
    private static long mapFd(long size, RamBackend backend, int fd, int share) {
        try {
            int r = Native.ftruncate(fd, size);
            if (r < 0) {
                throw new KvmException("ftruncate of guest RAM to " + size + " bytes (" + backend.describe() + ")", -r,
                        -r == Errno.EINVAL ? "RAM must be a whole number of hugepages" : "");
            }
            return Native.mmap(size, Native.PROT_READ | Native.PROT_WRITE, share, fd, 0);
        } finally {
            Native.close(fd);
        }
    }

    /** What to do when the hugepages are not there, with the host's own numbers. */
    static String hugepageAdvice(long size, RamBackend backend) {
        long page = backend.hugePageSize() > 0 ? backend.hugePageSize() : 2L << 20;
        Path dir = Path.of("/sys/kernel/mm/hugepages/hugepages-" + (page >> 10) + "kB");
        String free = read(dir.resolve("free_hugepages"));
        String total = read(dir.resolve("nr_hugepages"));
        long need = (size + page - 1) / page;
        return "not enough " + (page >> 20) + " MiB hugepages: the guest needs " + need + ", the host has " + total
                + " reserved and " + free + " free; reserve them first, e.g. echo " + need
                + " > /proc/sys/vm/nr_hugepages (as root), or use a smaller -m";
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** Where RAM sits in the guest. */
    public MmioRange range() {
        return range;
    }

    /** The whole of RAM. */
    public MemorySegment memory() {
        return memory;
    }

    /** Unmaps the RAM; close the KVM memory slot first. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
