package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import org.vfio4j.common.sys.Native;

/**
 * The system calls the VFIO objects make, one method per call, each returning what the kernel returned or
 * {@code -errno}.
 *
 * <p>Why a seam: containers, groups, devices, regions, IRQs and DMA mappings are all ioctls on fds, so their
 * logic (viability checks, backend choice, close order, error wording, EINTR) could only be exercised on a
 * host with VFIO. Everything in this package reaches the kernel through one {@link Kernel} built on an
 * implementation of this interface: {@link #HOST} in production, a fake kernel in tests that answers the
 * ioctls from a model and records them. Each method is one attempt: {@code -EINTR} is a result like any
 * other here, and {@link Kernel} retries it, so the retry is tested too. Package-private: the library's users
 * see the objects, never this.
 */
interface VfioKernel {
    int open(String path, int flags);

    int close(int fd);

    int ioctl(int fd, long request, long arg);

    int ioctl(int fd, long request, MemorySegment arg);

    long pread(int fd, MemorySegment buf, long count, long offset);

    long pwrite(int fd, MemorySegment buf, long count, long offset);

    /** The address, or {@code -errno} (see {@link Native#failed}). */
    long mmap(long length, int prot, int flags, int fd, long offset);

    int munmap(long address, long length);

    /** Whether a device node exists (which of {@code /dev/vfio/N} and {@code /dev/vfio/noiommu-N} to open). */
    boolean exists(Path path);

    /** The running kernel, through {@link Native}. */
    VfioKernel HOST = new VfioKernel() {
        @Override
        public int open(String path, int flags) {
            return Native.open(path, flags);
        }

        @Override
        public int close(int fd) {
            return Native.close(fd);
        }

        @Override
        public int ioctl(int fd, long request, long arg) {
            return Native.ioctl(fd, request, arg);
        }

        @Override
        public int ioctl(int fd, long request, MemorySegment arg) {
            return Native.ioctl(fd, request, arg);
        }

        @Override
        public long pread(int fd, MemorySegment buf, long count, long offset) {
            return Native.pread(fd, buf, count, offset);
        }

        @Override
        public long pwrite(int fd, MemorySegment buf, long count, long offset) {
            return Native.pwrite(fd, buf, count, offset);
        }

        @Override
        public long mmap(long length, int prot, int flags, int fd, long offset) {
            return Native.mmap(length, prot, flags, fd, offset);
        }

        @Override
        public int munmap(long address, long length) {
            return Native.munmap(address, length);
        }

        @Override
        public boolean exists(Path path) {
            return Files.exists(path);
        }

        @Override
        public String toString() {
            return "the host kernel";
        }
    };
}
