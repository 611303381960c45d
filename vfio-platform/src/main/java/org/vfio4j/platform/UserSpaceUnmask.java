package org.vfio4j.platform;

import java.time.Duration;

import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;

/**
 * The fallback for a level (automasked) line when the machine cannot resample: a thread waits on the trigger
 * eventfd and asserts the guest line; the next trapped guest access to the device (its driver handling the
 * interrupt) deasserts the line and unmasks it in VFIO, as QEMU's vfio-platform does without irqfd.
 *
 * <p>Why it needs trapped regions: the access that ends the interrupt must reach user space, so a device
 * using this fallback gets no mmapped regions ({@link RegionPlan}); it costs an exit per access and a
 * user-space wake-up per interrupt, which is why it is only the fallback.
 */
public final class UserSpaceUnmask implements RoutedIrq {
    private static final Duration POLL = Duration.ofMillis(100);

    private final IrqLine line;
    private final EventFd trigger;
    private final GuestInterrupt.Line target;
    private final GuestLines lines;
    private final Thread waiter;
    private boolean pending;
    private volatile boolean closed;

    UserSpaceUnmask(IrqLine line, EventFd trigger, GuestInterrupt.Line target, GuestLines lines) {
        this.line = line;
        this.trigger = trigger;
        this.target = target;
        this.lines = lines;
        this.waiter = Thread.ofPlatform().daemon().name("irq-fallback " + line.describe()).unstarted(this::waitLoop);
    }

    void start() {
        waiter.start();
    }

    private void waitLoop() {
        while (!closed) {
            if (trigger.awaitAndRead(POLL) > 0) {
                fired();
            }
        }
    }

    private synchronized void fired() {
        if (!closed && !pending) {
            pending = true;
            lines.setLevel(target, true);
        }
    }

    /** True while the line is asserted and waiting for the guest to access the device. */
    public synchronized boolean pending() {
        return pending;
    }

    @Override
    public GuestInterrupt.Line target() {
        return target;
    }

    @Override
    public synchronized void guestAccessed() {
        if (pending && !closed) {
            pending = false;
            lines.setLevel(target, false);
            line.unmask();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            waiter.join(POLL.multipliedBy(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (pending) {
                pending = false;
                lines.setLevel(target, false);
            }
        }
        line.disable();
    }
}
