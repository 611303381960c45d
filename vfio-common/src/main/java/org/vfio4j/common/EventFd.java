package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;

/**
 * A Linux eventfd: the kernel's 64-bit counter that VFIO signals when a device interrupts, and that KVM irqfd
 * consumes to inject a guest interrupt (or signals on EOI, for resampling).
 *
 * <p>Why a class: an eventfd is an fd to close and the hand-off object between VFIO and whatever consumes the
 * interrupt. The fd is non-blocking; waiting is always {@link #await(Duration) poll with a timeout}, so a test
 * or a device model never hangs on an interrupt that does not come.
 *
 * {@snippet :
 * try (EventFd fired = EventFd.create()) {
 *     irq.enable(0, fired);                  // VFIO signals it on each interrupt
 *     if (fired.await(Duration.ofSeconds(2))) {
 *         long count = fired.read();         // interrupts since the last read
 *     }
 * }
 * }
 */
public final class EventFd implements AutoCloseable {
    private final int fd;
    private volatile boolean closed;

    private EventFd(int fd) {
        this.fd = fd;
    }

    /** A new non-blocking, close-on-exec eventfd with counter 0. */
    public static EventFd create() {
        int fd = Native.eventfd(0, Native.EFD_CLOEXEC | Native.EFD_NONBLOCK);
        if (fd < 0) {
            throw new VfioException("eventfd()", -fd, -fd == Errno.EMFILE || -fd == Errno.ENFILE
                    ? "too many open files; raise the limit (ulimit -n) or close unused devices" : "");
        }
        return new EventFd(fd);
    }

    /** The file descriptor, for VFIO_DEVICE_SET_IRQS or KVM_IRQFD. Valid until {@link #close()}. */
    public int fd() {
        Check.open(closed, this);
        return fd;
    }

    /** Adds 1 to the counter, waking whoever polls the fd. */
    public void signal() {
        try (var a = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment one = a.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            long r = Native.write(fd(), one, 8);
            if (r < 0) {
                throw new VfioException("write to " + this, (int) -r, "");
            }
        }
    }

    /** Reads and resets the counter; 0 when nothing was signalled (the fd is non-blocking). */
    public long read() {
        try (var a = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment buf = a.allocate(ValueLayout.JAVA_LONG);
            long r = Native.read(fd(), buf, 8);
            if (r == -Errno.EAGAIN) {
                return 0;
            }
            if (r < 0) {
                throw new VfioException("read from " + this, (int) -r, "");
            }
            return buf.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** Waits up to {@code timeout} for the counter to become non-zero; does not reset it. */
    public boolean await(Duration timeout) {
        long ms = Math.min(Integer.MAX_VALUE, Math.max(0, timeout.toMillis()));
        int r = Native.poll(fd(), Native.POLLIN, (int) ms);
        if (r < 0) {
            throw new VfioException("poll on " + this, -r, "");
        }
        return (r & Native.POLLIN) != 0;
    }

    /** Waits up to {@code timeout} and returns the counter (reset to 0), or 0 on timeout. */
    public long awaitAndRead(Duration timeout) {
        return await(timeout) ? read() : 0;
    }

    /** True once closed. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.close(fd);
        }
    }

    @Override
    public String toString() {
        return "eventfd " + fd;
    }
}
