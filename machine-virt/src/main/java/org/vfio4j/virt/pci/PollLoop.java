package org.vfio4j.virt.pci;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Consumer;

import org.vfio4j.common.EventFd;
import org.vfio4j.common.RateLimitedLog;
import org.vfio4j.common.sys.Native;
import org.vfio4j.pci.PciEventLoop;

/**
 * The event loop one assigned function's model runs its few user-space tasks on: one thread in poll(2) over
 * the watched eventfds (masked MSI-X vectors, INTx without resampling) and a wake eventfd, with the next timer
 * as its timeout.
 *
 * <p>Why a thread per device and not an executor: the tasks are rare, must run in order with the model's
 * lock, and a blocked {@code poll} costs nothing; a device's loop ends with the device. Interrupts on the fast
 * path never come here: they go from VFIO's eventfd to KVM's irqfd in the kernel.
 *
 * <p>Why a failing task does not stop the loop: the tasks act for the guest (a masked vector fired, INTx
 * without resampling), so the guest can make them fail; one failure is reported at a bounded rate and the
 * loop goes on. An {@link Error} ends the thread and reaches the VMM's uncaught-exception handler, which
 * ends the run. A watched eventfd is read under the loop's lock, so a watch closed by a vCPU thread (and the
 * eventfd closed right after) is never read, nor is a descriptor number the kernel has handed out again.
 */
final class PollLoop implements PciEventLoop, AutoCloseable {
    private static final short POLLIN = 1;

    private final EventFd wake = EventFd.create();
    private final List<Watch> watches = new ArrayList<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
    private final Thread thread;
    private final RateLimitedLog failures;
    private volatile boolean closed;

    private final class Watch implements Registration {
        final EventFd eventFd;
        /** Taken while the eventfd is open: its owner may close it (after this watch) at any time. */
        final int fd;
        final Runnable handler;

        Watch(EventFd eventFd, Runnable handler) {
            this.eventFd = eventFd;
            this.fd = eventFd.fd();
            this.handler = handler;
        }

        @Override
        public void close() {
            synchronized (PollLoop.this) {
                watches.remove(this);
            }
            wake.signal();
        }
    }

    private final class Timer implements Registration {
        final long due;
        final Runnable task;

        Timer(long due, Runnable task) {
            this.due = due;
            this.task = task;
        }

        @Override
        public void close() {
            synchronized (PollLoop.this) {
                timers.remove(this);
            }
        }
    }

    PollLoop(String name, Consumer<String> messages) {
        this.failures = RateLimitedLog.standard(messages);
        thread = Thread.ofPlatform().daemon().name(name).start(this::run);
    }

    @Override
    public Registration watch(EventFd eventFd, Runnable handler) {
        Watch w = new Watch(eventFd, handler);
        synchronized (this) {
            watches.add(w);
        }
        wake.signal();
        return w;
    }

    @Override
    public Registration schedule(Duration delay, Runnable task) {
        Timer t = new Timer(System.nanoTime() + delay.toNanos(), task);
        synchronized (this) {
            timers.add(t);
        }
        wake.signal();
        return t;
    }

    private void run() {
        while (!closed) {
            try {
                pollOnce();
            } catch (RuntimeException e) {
                failures.report(() -> "virt: " + thread.getName() + ": a poll round failed, the loop goes on: " + e);
            }
        }
    }

    private void runTask(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            failures.report(() -> "virt: " + thread.getName() + ": a task failed, the loop goes on: " + e);
        }
    }

    /** One poll over the current watches (the set may change while it waits: closing one signals the wake fd). */
    private void pollOnce() {
        List<Watch> ws;
        long timeoutMs;
        synchronized (this) {
            ws = List.copyOf(watches);
            Timer next = timers.peek();
            timeoutMs = next == null ? -1 : Math.max(0, (next.due - System.nanoTime() + 999_999) / 1_000_000);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(8L * (ws.size() + 1), 4);
            fds.set(JAVA_INT, 0, wake.fd());
            fds.set(JAVA_SHORT, 4, POLLIN);
            for (int i = 0; i < ws.size(); i++) {
                fds.set(JAVA_INT, 8L * (i + 1), ws.get(i).fd);
                fds.set(JAVA_SHORT, 8L * (i + 1) + 4, POLLIN);
            }
            int n = Native.poll(fds, ws.size() + 1, (int) Math.min(timeoutMs, Integer.MAX_VALUE));
            if (closed) {
                return;
            }
            if (n > 0 && (fds.get(JAVA_SHORT, 6) & POLLIN) != 0) {
                wake.read();
            }
            for (int i = 0; n > 0 && i < ws.size(); i++) {
                Watch w = ws.get(i);
                if ((fds.get(JAVA_SHORT, 8L * (i + 1) + 6) & POLLIN) != 0 && consume(w)) {
                    runTask(w.handler);
                }
            }
        }
        runDueTimers();
    }

    /** Reads the watch's eventfd if the watch is still live; false when it was closed meanwhile. */
    private synchronized boolean consume(Watch w) {
        if (!watches.contains(w)) {
            return false;
        }
        try {
            w.eventFd.read();
            return true;
        } catch (RuntimeException e) {
            failures.report(() -> "virt: " + thread.getName() + ": reading " + w.eventFd + " failed: " + e.getMessage());
            return false;
        }
    }

    private void runDueTimers() {
        while (true) {
            Timer t;
            synchronized (this) {
                t = timers.peek();
                if (t == null || t.due > System.nanoTime()) {
                    return;
                }
                timers.poll();
            }
            runTask(t.task);
        }
    }

    /** Stops the thread and waits for it; pending timers are dropped. */
    @Override
    public void close() {
        closed = true;
        wake.signal();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        wake.close();
    }
}
