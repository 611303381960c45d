package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import org.vfio4j.common.sys.Errno;

/**
 * A {@link VfioKernel} with the calls that may be interrupted retried on {@code EINTR}, as every caller here
 * wants them; {@code close} is never retried (Linux releases the fd even when close reports EINTR). One loop
 * per signature on purpose: a shared helper would take a lambda per call on the region-access path.
 */
final class Kernel {
    /** The running kernel. */
    static final Kernel HOST = new Kernel(VfioKernel.HOST);

    private final VfioKernel k;

    Kernel(VfioKernel k) {
        this.k = k;
    }

    int open(String path, int flags) {
        int r;
        do {
            r = k.open(path, flags);
        } while (r == -Errno.EINTR);
        return r;
    }

    int close(int fd) {
        return k.close(fd);
    }

    int ioctl(int fd, long request, long arg) {
        int r;
        do {
            r = k.ioctl(fd, request, arg);
        } while (r == -Errno.EINTR);
        return r;
    }

    int ioctl(int fd, long request, MemorySegment arg) {
        int r;
        do {
            r = k.ioctl(fd, request, arg);
        } while (r == -Errno.EINTR);
        return r;
    }

    long pread(int fd, MemorySegment buf, long count, long offset) {
        long r;
        do {
            r = k.pread(fd, buf, count, offset);
        } while (r == -Errno.EINTR);
        return r;
    }

    long pwrite(int fd, MemorySegment buf, long count, long offset) {
        long r;
        do {
            r = k.pwrite(fd, buf, count, offset);
        } while (r == -Errno.EINTR);
        return r;
    }

    long mmap(long length, int prot, int flags, int fd, long offset) {
        return k.mmap(length, prot, flags, fd, offset);
    }

    int munmap(long address, long length) {
        return k.munmap(address, length);
    }

    boolean exists(Path path) {
        return k.exists(path);
    }

    @Override
    public String toString() {
        return k.toString();
    }
}
