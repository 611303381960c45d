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
import java.lang.invoke.VarHandle;

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
    public static final int PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    public static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
    public static final int EFD_SEMAPHORE = 1, EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public static final short POLLIN = 1, POLLERR = 8, POLLHUP = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");
    /** One errno slot per thread, freed with the thread (auto arena). */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_PTR = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_LONG = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    // Linked on first use, one holder per signature: each distinct signature spins a stub class and a dozen
    // LambdaForms at run time (about 0.1 s in the emulated aarch64 lab, where machine-virt's start-up is timed
    // against QEMU's), and a VMM's start-up needs none of these (close and munmap: only at tear-down).
    private static final class Close {
        static final MethodHandle H = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static final class Munmap {
        static final MethodHandle H = downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class Eventfd {
        static final MethodHandle H = downcall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class ReadWrite {
        static final MethodHandle READ = downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class Positional {
        static final MethodHandle PREAD = downcall("pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        static final MethodHandle PWRITE = downcall("pwrite",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    }

    private static final class Poll {
        static final MethodHandle H = downcall("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    private static final class Strerror {
        static final MethodHandle H = LINKER.downcallHandle(
                LINKER.defaultLookup().findOrThrow("strerror"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private static final int EINTR = 4;

    private Native() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] opts = new Linker.Option[extra.length + 1];
        opts[0] = ERRNO_OPT;
        System.arraycopy(extra, 0, opts, 1, extra.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), fd, opts);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static AssertionError linkage(Throwable t) {
        return new AssertionError("FFM downcall failed unexpectedly", t);
    }

    /** open(2): the new fd, or {@code -errno}. */
    public static int open(String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            MemorySegment st = STATE.get();
            int r = (int) OPEN.invokeExact(st, p, flags, 0);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** close(2): 0 or {@code -errno}. */
    public static int close(int fd) {
        try {
            MemorySegment st = STATE.get();
            int r = (int) Close.H.invokeExact(st, fd);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** ioctl(2) with a pointer argument: the ioctl's non-negative result, or {@code -errno}. */
    public static int ioctl(int fd, long request, MemorySegment arg) {
        try {
            MemorySegment st = STATE.get();
            int r;
            do {
                r = (int) IOCTL_PTR.invokeExact(st, fd, request, arg);
            } while (r < 0 && errno(st) == EINTR);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** ioctl(2) with an integer argument (e.g. VFIO_CHECK_EXTENSION): the result, or {@code -errno}. */
    public static int ioctl(int fd, long request, long arg) {
        try {
            MemorySegment st = STATE.get();
            int r;
            do {
                r = (int) IOCTL_LONG.invokeExact(st, fd, request, arg);
            } while (r < 0 && errno(st) == EINTR);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /**
     * mmap(2) of {@code length} bytes of {@code fd} at {@code offset}: the address, or {@code -errno}
     * (a value in {@code [-4095, -1]}, like the kernel's MAP_FAILED encoding).
     */
    public static long mmap(long length, int prot, int flags, int fd, long offset) {
        try {
            MemorySegment st = STATE.get();
            MemorySegment r = (MemorySegment) MMAP.invokeExact(st, MemorySegment.NULL, length, prot, flags, fd, offset);
            return r.address() == -1L ? -errno(st) : r.address();
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** True when a {@link #mmap} result is an error code. */
    public static boolean failed(long mmapResult) {
        return mmapResult < 0 && mmapResult >= -4095;
    }

    /** munmap(2): 0 or {@code -errno}. */
    public static int munmap(long address, long length) {
        try {
            MemorySegment st = STATE.get();
            int r = (int) Munmap.H.invokeExact(st, MemorySegment.ofAddress(address), length);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** eventfd(2): the new fd, or {@code -errno}. */
    public static int eventfd(int initval, int flags) {
        try {
            MemorySegment st = STATE.get();
            int r = (int) Eventfd.H.invokeExact(st, initval, flags);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** read(2), retried on EINTR: bytes read, or {@code -errno}. */
    public static long read(int fd, MemorySegment buf, long count) {
        try {
            MemorySegment st = STATE.get();
            long r;
            do {
                r = (long) ReadWrite.READ.invokeExact(st, fd, buf, count);
            } while (r < 0 && errno(st) == EINTR);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** write(2), retried on EINTR: bytes written, or {@code -errno}. */
    public static long write(int fd, MemorySegment buf, long count) {
        try {
            MemorySegment st = STATE.get();
            long r;
            do {
                r = (long) ReadWrite.WRITE.invokeExact(st, fd, buf, count);
            } while (r < 0 && errno(st) == EINTR);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** pread(2), retried on EINTR: bytes read, or {@code -errno}. */
    public static long pread(int fd, MemorySegment buf, long count, long offset) {
        try {
            MemorySegment st = STATE.get();
            long r;
            do {
                r = (long) Positional.PREAD.invokeExact(st, fd, buf, count, offset);
            } while (r < 0 && errno(st) == EINTR);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** pwrite(2), retried on EINTR: bytes written, or {@code -errno}. */
    public static long pwrite(int fd, MemorySegment buf, long count, long offset) {
        try {
            MemorySegment st = STATE.get();
            long r;
            do {
                r = (long) Positional.PWRITE.invokeExact(st, fd, buf, count, offset);
            } while (r < 0 && errno(st) == EINTR);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /**
     * poll(2) on one fd for {@code events}: the revents bits, 0 on timeout, or {@code -errno}.
     * EINTR is retried with the full timeout again (callers wait for an event, not a precise duration).
     */
    public static int poll(int fd, short events, int timeoutMillis) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(8, 4);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, events);
            MemorySegment st = STATE.get();
            int r;
            do {
                r = (int) Poll.H.invokeExact(st, pfd, 1L, timeoutMillis);
            } while (r < 0 && errno(st) == EINTR);
            if (r < 0) {
                return -errno(st);
            }
            return r == 0 ? 0 : pfd.get(JAVA_SHORT, 6) & 0xffff;
        } catch (Throwable t) {
            throw linkage(t);
        }
    }

    /** strerror(3): the C library's text for an errno value. */
    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Strerror.H.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw linkage(t);
        }
    }
}
