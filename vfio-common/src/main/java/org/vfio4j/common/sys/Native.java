package org.vfio4j.common.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;

/**
 * The Linux system calls vfio4j needs, as FFM downcalls into libc with {@code errno} captured.
 *
 * <p>Why raw results: every wrapper returns what the kernel returned, or {@code -errno} on failure (the
 * kernel's own convention), so callers decide how to word the failure for the person at the terminal
 * ({@link org.vfio4j.common.VfioException}) without this layer allocating exceptions or strings on the
 * fast path (DMA map/unmap, region access, eventfd reads). {@code errno} is read through
 * {@link Linker.Option#captureCallState(String...)} into a per-thread segment, so it cannot be clobbered
 * by the JVM between the call and the read.
 *
 * <p>Why every call goes through libc's {@code syscall(2)}: the JDK spins a stub class and about ten
 * LambdaForm classes for each distinct C signature it links, at run time (the AOT cache keeps none of them):
 * ~0.1 s a signature in the emulated aarch64 lab, where machine-virt's start-up is timed against QEMU's. One
 * signature, {@code long syscall(long, ...)} with six {@code long} arguments, serves every call here and the
 * vCPU threads' signal calls. Pointers travel as addresses: each wrapper checks that its segment is native,
 * alive and usable by the calling thread, and keeps it reachable until the call returns, as the linker does for
 * an {@code ADDRESS} argument. (What a linked {@code ADDRESS} argument adds, and this does not: a shared
 * arena closed by another thread <em>during</em> the call. vfio4j closes its shared arenas only after the
 * threads that use them have stopped.)
 *
 * {@snippet :
 * int fd = Native.open("/dev/vfio/vfio", Native.O_RDWR | Native.O_CLOEXEC);
 * if (fd < 0) throw new IllegalStateException(Errno.describe(-fd));
 * int version = Native.ioctl(fd, VfioAbi.VFIO_GET_API_VERSION, 0L);
 * Native.close(fd);
 * }
 */
public final class Native {
    /** open(2) flags and mmap(2) constants shared by x86_64 and arm64 (asm-generic values). */
    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    /** fcntl(2)'s command for a close-on-exec duplicate. */
    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    public static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    /** memfd_create(2) flags; a hugetlb page size goes in the bits from {@link #MFD_HUGE_SHIFT} as log2(size). */
    public static final int MFD_CLOEXEC = 1, MFD_HUGETLB = 4, MFD_HUGE_SHIFT = 26;
    public static final int O_CREAT = 0x40, O_EXCL = 0x80;
    public static final int EFD_SEMAPHORE = 1, EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public static final short POLLIN = 1, POLLERR = 8, POLLHUP = 16;
    /** rt_sigprocmask(2)'s {@code how}. */
    public static final int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
    /** The kernel's signal set: 64 signals, 8 bytes (glibc's {@code sigset_t} is 128). */
    public static final long KERNEL_SIGSET_BYTES = 8;

    private static final int AT_FDCWD = -100;
    private static final int EINTR = 4;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    /** Where errno sits in the capture state (read with a plain get: a layout path's VarHandle spins classes). */
    private static final long ERRNO_OFFSET = CAPTURE.byteOffset(PathElement.groupElement("errno"));
    /** One errno slot per thread, freed with the thread (auto arena). */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));

    /** Error paths only: linked on first use. */
    private static final class Strerror {
        static final MethodHandle H = LINKER.downcallHandle(
                LINKER.defaultLookup().findOrThrow("strerror"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private Native() {
    }

    /** System call {@code nr}: its result, or {@code -errno}. */
    private static long syscall(long nr, long a, long b, long c, long d, long e, long f) {
        try {
            MemorySegment st = STATE.get();
            long r = (long) SYSCALL.invokeExact(st, nr, a, b, c, d, e, f);
            return r == -1 ? -(long) st.get(JAVA_INT, ERRNO_OFFSET) : r;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /** {@link #syscall}, again while it fails with EINTR. */
    private static long restarting(long nr, long a, long b, long c, long d, long e, long f) {
        long r;
        do {
            r = syscall(nr, a, b, c, d, e, f);
        } while (r == -EINTR);
        return r;
    }

    /**
     * The address to hand the kernel for {@code s}: refused unless {@code s} is native (not a Java array), its
     * arena is open and the calling thread may use it, which is what the linker checks for an ADDRESS argument.
     */
    private static long address(MemorySegment s) {
        if (!s.isNative()) {
            throw new IllegalArgumentException("a system call needs native memory, not a heap segment: " + s);
        }
        if (!s.scope().isAlive()) {
            throw new IllegalStateException("the segment's arena is already closed: " + s);
        }
        if (!s.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("the segment's arena is confined to another thread: " + s);
        }
        return s.address();
    }

    /** open(2) (as openat relative to the working directory): the new fd, or {@code -errno}. */
    public static int open(String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            return (int) restarting(Sysno.OPENAT, AT_FDCWD, p.address(), flags, 0, 0, 0);
        }
    }

    /** open(2) with a {@code mode} for O_CREAT: the new fd, or {@code -errno}. */
    public static int open(String path, int flags, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            return (int) restarting(Sysno.OPENAT, AT_FDCWD, p.address(), flags, mode, 0, 0);
        }
    }

    /** unlink(2) (as unlinkat relative to the working directory): 0 or {@code -errno}. */
    public static int unlink(String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            return (int) syscall(Sysno.UNLINKAT, AT_FDCWD, p.address(), 0, 0, 0, 0);
        }
    }

    /** memfd_create(2) ({@code MFD_*} flags, hugetlb page size in bits 26-31): the new fd, or {@code -errno}. */
    public static int memfdCreate(String name, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(name);
            return (int) syscall(Sysno.MEMFD_CREATE, p.address(), flags, 0, 0, 0, 0);
        }
    }

    /** ftruncate(2), retried on EINTR: 0 or {@code -errno}. */
    public static int ftruncate(int fd, long length) {
        return (int) restarting(Sysno.FTRUNCATE, fd, length, 0, 0, 0, 0);
    }

    /** close(2): 0 or {@code -errno}. */
    public static int close(int fd) {
        return (int) syscall(Sysno.CLOSE, fd, 0, 0, 0, 0, 0);
    }

    /**
     * fcntl(F_DUPFD_CLOEXEC): a new fd (3 or above, close-on-exec) for the same open file as {@code fd}, or
     * {@code -errno}. For fds handed in by another process that must outlive what is built on a copy.
     */
    public static int dupCloexec(int fd) {
        return (int) syscall(Sysno.FCNTL, fd, F_DUPFD_CLOEXEC, 3, 0, 0, 0);
    }

    /** socket(2): the new fd, or {@code -errno}. */
    public static int socket(int domain, int type, int protocol) {
        return (int) syscall(Sysno.SOCKET, domain, type, protocol, 0, 0, 0);
    }

    /** bind(2) to the {@code length} bytes of socket address {@code address}: 0 or {@code -errno}. */
    public static int bind(int fd, MemorySegment address, int length) {
        long r = syscall(Sysno.BIND, fd, address(address), checked(address, length), 0, 0, 0);
        Reference.reachabilityFence(address);
        return (int) r;
    }

    /** connect(2) to the {@code length} bytes of socket address {@code address}, retried on EINTR: 0 or {@code -errno}. */
    public static int connect(int fd, MemorySegment address, int length) {
        long r = restarting(Sysno.CONNECT, fd, address(address), checked(address, length), 0, 0, 0);
        Reference.reachabilityFence(address);
        return (int) r;
    }

    /** sendmsg(2) of the {@code struct msghdr} at {@code message}, retried on EINTR: bytes sent, or {@code -errno}. */
    public static long sendmsg(int fd, MemorySegment message, int flags) {
        long r = restarting(Sysno.SENDMSG, fd, address(message), flags, 0, 0, 0);
        Reference.reachabilityFence(message);
        return r;
    }

    /** listen(2): 0 or {@code -errno}. */
    public static int listen(int fd, int backlog) {
        return (int) syscall(Sysno.LISTEN, fd, backlog, 0, 0, 0, 0);
    }

    /** accept4(2) without the peer's address, retried on EINTR: the connection's fd, or {@code -errno}. */
    public static int accept4(int fd, int flags) {
        return (int) restarting(Sysno.ACCEPT4, fd, 0, 0, flags, 0, 0);
    }

    /** recvmsg(2) into the {@code struct msghdr} at {@code message}, retried on EINTR: bytes, or {@code -errno}. */
    public static long recvmsg(int fd, MemorySegment message, int flags) {
        long r = restarting(Sysno.RECVMSG, fd, address(message), flags, 0, 0, 0);
        Reference.reachabilityFence(message);
        return r;
    }

    /** send(2) (sendto without an address), retried on EINTR: bytes sent, or {@code -errno}. */
    public static long send(int fd, MemorySegment buf, long count, int flags) {
        long r = restarting(Sysno.SENDTO, fd, address(buf), checked(buf, count), flags, 0, 0);
        Reference.reachabilityFence(buf);
        return r;
    }

    /** shutdown(2): 0 or {@code -errno}. */
    public static int shutdown(int fd, int how) {
        return (int) syscall(Sysno.SHUTDOWN, fd, how, 0, 0, 0, 0);
    }

    /** ioctl(2) with a pointer argument, retried on EINTR: the ioctl's non-negative result, or {@code -errno}. */
    public static int ioctl(int fd, long request, MemorySegment arg) {
        long r = restarting(Sysno.IOCTL, fd, request, address(arg), 0, 0, 0);
        Reference.reachabilityFence(arg);
        return (int) r;
    }

    /** ioctl(2) with an integer argument (e.g. VFIO_CHECK_EXTENSION), retried on EINTR: the result, or {@code -errno}. */
    public static int ioctl(int fd, long request, long arg) {
        return (int) restarting(Sysno.IOCTL, fd, request, arg, 0, 0, 0);
    }

    /**
     * ioctl(2) made once, EINTR included: for {@code KVM_RUN}, where EINTR is how a vCPU thread is told to stop.
     */
    public static int ioctlOnce(int fd, long request, long arg) {
        return (int) syscall(Sysno.IOCTL, fd, request, arg, 0, 0, 0);
    }

    /**
     * mmap(2) of {@code length} bytes of {@code fd} at {@code offset}: the address, or {@code -errno}
     * (a value in {@code [-4095, -1]}, like the kernel's MAP_FAILED encoding).
     */
    public static long mmap(long length, int prot, int flags, int fd, long offset) {
        return syscall(Sysno.MMAP, 0, length, prot, flags, fd, offset);
    }

    /** True when a {@link #mmap} result is an error code. */
    public static boolean failed(long mmapResult) {
        return mmapResult < 0 && mmapResult >= -4095;
    }

    /** munmap(2): 0 or {@code -errno}. */
    public static int munmap(long address, long length) {
        return (int) syscall(Sysno.MUNMAP, address, length, 0, 0, 0, 0);
    }

    /** eventfd(2): the new fd, or {@code -errno}. */
    public static int eventfd(int initval, int flags) {
        return (int) syscall(Sysno.EVENTFD2, initval, flags, 0, 0, 0, 0);
    }

    /** read(2), retried on EINTR: bytes read, or {@code -errno}. */
    public static long read(int fd, MemorySegment buf, long count) {
        long r = restarting(Sysno.READ, fd, address(buf), checked(buf, count), 0, 0, 0);
        Reference.reachabilityFence(buf);
        return r;
    }

    /** write(2), retried on EINTR: bytes written, or {@code -errno}. */
    public static long write(int fd, MemorySegment buf, long count) {
        long r = restarting(Sysno.WRITE, fd, address(buf), checked(buf, count), 0, 0, 0);
        Reference.reachabilityFence(buf);
        return r;
    }

    /** pread(2), retried on EINTR: bytes read, or {@code -errno}. */
    public static long pread(int fd, MemorySegment buf, long count, long offset) {
        long r = restarting(Sysno.PREAD64, fd, address(buf), checked(buf, count), offset, 0, 0);
        Reference.reachabilityFence(buf);
        return r;
    }

    /** pwrite(2), retried on EINTR: bytes written, or {@code -errno}. */
    public static long pwrite(int fd, MemorySegment buf, long count, long offset) {
        long r = restarting(Sysno.PWRITE64, fd, address(buf), checked(buf, count), offset, 0, 0);
        Reference.reachabilityFence(buf);
        return r;
    }

    /** {@code count}, refused when it runs past the end of {@code buf} (the kernel would read or write beyond it). */
    private static long checked(MemorySegment buf, long count) {
        if (count < 0 || count > buf.byteSize()) {
            throw new IndexOutOfBoundsException(count + " bytes do not fit a segment of " + buf.byteSize());
        }
        return count;
    }

    /**
     * poll(2) on one fd for {@code events}: the revents bits, 0 on timeout, or {@code -errno}.
     * EINTR is retried with the time left (ppoll(2) writes it back).
     */
    public static int poll(int fd, short events, int timeoutMillis) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(8, 4);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, events);
            int r = poll(pfd, 1, timeoutMillis);
            return r <= 0 ? r : pfd.get(JAVA_SHORT, 6) & 0xffff;
        }
    }

    /**
     * poll(2) over {@code nfds} {@code struct pollfd}s (8 bytes each: fd, events, revents) in {@code fds}, waiting
     * at most {@code timeoutMillis} (negative: no limit): how many have events, 0 on timeout, or {@code -errno}.
     * EINTR is retried with the time left (ppoll(2) writes it back into the timespec the retry passes again).
     */
    public static int poll(MemorySegment fds, int nfds, int timeoutMillis) {
        checked(fds, 8L * nfds);
        try (Arena a = Arena.ofConfined()) {
            long ts = 0;
            if (timeoutMillis >= 0) {
                MemorySegment t = a.allocate(16, 8);
                t.set(JAVA_LONG, 0, timeoutMillis / 1000);
                t.set(JAVA_LONG, 8, (timeoutMillis % 1000) * 1_000_000L);
                ts = t.address();
            }
            long r = restarting(Sysno.PPOLL, address(fds), nfds, ts, 0, KERNEL_SIGSET_BYTES, 0);
            Reference.reachabilityFence(fds);
            return (int) r;
        }
    }

    /** getpid(2). */
    public static int getpid() {
        return (int) syscall(Sysno.GETPID, 0, 0, 0, 0, 0, 0);
    }

    /** geteuid(2): the user the process acts as, to check who owns a file it is about to trust. */
    public static int geteuid() {
        return (int) syscall(Sysno.GETEUID, 0, 0, 0, 0, 0, 0);
    }

    /** gettid(2): the calling thread's kernel id, as {@link #tgkill} takes it. */
    public static int gettid() {
        return (int) syscall(Sysno.GETTID, 0, 0, 0, 0, 0, 0);
    }

    /** tgkill(2): signal {@code sig} to thread {@code tid} of this process: 0 or {@code -errno}. */
    public static int tgkill(int tid, int sig) {
        return (int) syscall(Sysno.TGKILL, getpid(), tid, sig, 0, 0, 0);
    }

    /**
     * setpriority(2) of one thread ({@code PRIO_PROCESS} with a kernel thread id: Linux schedules threads, and
     * each has its own nice value): 0 or {@code -errno}. Raising the nice value needs no privilege.
     */
    public static int setThreadNice(int tid, int nice) {
        return (int) syscall(Sysno.SETPRIORITY, 0, tid, nice, 0, 0, 0);
    }

    /**
     * rt_sigprocmask(2) for the calling thread with kernel signal sets ({@link #KERNEL_SIGSET_BYTES} each):
     * 0 or {@code -errno}. {@code set} or {@code old} may be {@link MemorySegment#NULL}.
     */
    public static int sigprocmask(int how, MemorySegment set, MemorySegment old) {
        long r = syscall(Sysno.RT_SIGPROCMASK, how, sigset(set), sigset(old), KERNEL_SIGSET_BYTES, 0, 0);
        Reference.reachabilityFence(set);
        Reference.reachabilityFence(old);
        return (int) r;
    }

    /**
     * Takes signal {@code sig} if it is pending for the calling thread, without waiting (rt_sigtimedwait(2) with a
     * zero timeout): {@code sig} when one was taken, {@code -EAGAIN} when none was pending, or another
     * {@code -errno}. A blocked signal that has done its work (interrupting a {@code KVM_RUN}) stays pending
     * otherwise, and a second one sent while the first is pending is merged into it: nothing would interrupt
     * the next {@code KVM_RUN}.
     */
    public static int takePendingSignal(int sig) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = a.allocate(KERNEL_SIGSET_BYTES, 8);
            MemorySegment zero = a.allocate(16, 8);   // struct timespec {0, 0}
            set.set(JAVA_LONG, 0, 1L << (sig - 1));
            return (int) syscall(Sysno.RT_SIGTIMEDWAIT, set.address(), 0, zero.address(), KERNEL_SIGSET_BYTES, 0, 0);
        }
    }

    private static long sigset(MemorySegment s) {
        return s.address() == 0 ? 0 : address(s.asSlice(0, KERNEL_SIGSET_BYTES));
    }

    /**
     * Sets signal {@code sig}'s disposition to SIG_IGN (rt_sigaction(2) with the kernel's
     * {@code struct sigaction}: handler, flags, restorer, mask — the same 32 bytes on arm64 and x86_64):
     * 0 or {@code -errno}.
     */
    public static int ignoreSignal(int sig) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment act = a.allocate(32, 8);   // zeroed: flags 0, no restorer, empty mask
            act.set(JAVA_LONG, 0, 1L);                // SIG_IGN
            return (int) syscall(Sysno.RT_SIGACTION, sig, act.address(), 0, KERNEL_SIGSET_BYTES, 0, 0);
        }
    }

    /** prctl(2) with integer arguments: its result, or {@code -errno}. */
    public static long prctl(int option, long a2, long a3, long a4, long a5) {
        return syscall(Sysno.PRCTL, option, a2, a3, a4, a5, 0);
    }

    /**
     * seccomp(2): {@code operation} with {@code flags} and {@code args} ({@link MemorySegment#NULL} for none): its
     * result (a listener fd for a filter with {@code SECCOMP_FILTER_FLAG_NEW_LISTENER}), or {@code -errno}.
     */
    public static int seccomp(int operation, int flags, MemorySegment args) {
        long r = syscall(Sysno.SECCOMP, operation, flags, args.address() == 0 ? 0 : address(args), 0, 0, 0);
        Reference.reachabilityFence(args);
        return (int) r;
    }

    /** capset(2) of the calling thread: 0 or {@code -errno}. */
    public static int capset(MemorySegment header, MemorySegment data) {
        long r = syscall(Sysno.CAPSET, address(header), address(data), 0, 0, 0, 0);
        Reference.reachabilityFence(header);
        Reference.reachabilityFence(data);
        return (int) r;
    }

    /**
     * prlimit64(2) of this process: sets {@code resource} to {@code newLimit} unless it is NULL, and reads the
     * previous limit into {@code oldLimit} unless that is NULL ({@code struct rlimit64}: soft, hard): 0 or
     * {@code -errno}.
     */
    public static int prlimit(int resource, MemorySegment newLimit, MemorySegment oldLimit) {
        long r = syscall(Sysno.PRLIMIT64, 0, resource, newLimit.address() == 0 ? 0 : address(newLimit),
                oldLimit.address() == 0 ? 0 : address(oldLimit), 0, 0);
        Reference.reachabilityFence(newLimit);
        Reference.reachabilityFence(oldLimit);
        return (int) r;
    }

    /** strerror(3): the C library's text for an errno value. */
    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Strerror.H.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }
}
