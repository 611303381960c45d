package org.vfio4j.pci;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;

/**
 * The device's INTx pin, wired so the guest's EOI needs no user-space work when the machine can.
 *
 * <p>Why: VFIO masks INTx each time it fires (a level interrupt would otherwise storm) and needs an
 * unmask after the guest has handled it. With a resampling machine the trigger is an irqfd and the
 * resample eventfd is VFIO's unmask eventfd, so the kernel closes the loop. Without one, this class
 * is the seed's fallback: the trigger is watched, the line raised, every BAR access is taken as the
 * EOI (lower the line, unmask), and direct BAR mappings are suspended while the interrupt is pending
 * so that access can be seen, then restored {@code x-intx-mmap-timeout-ms} after the last interrupt.
 */
final class IntxInterrupt {

    private final PciHost host;
    private final PciMachine machine;
    private final PciEventLoop loop;
    private final int pin;
    private final Duration mmapTimeout;
    private final Consumer<Boolean> suspendMmap;
    private @Nullable EventFd trigger;
    private @Nullable EventFd resample;
    private @Nullable IntxConnection connection;
    private PciEventLoop.@Nullable Registration watch;
    private PciEventLoop.@Nullable Registration timer;
    private boolean pending;

    /**
     * @param pin 1..4 (INTA..INTD)
     * @param suspendMmap suspends ({@code true}) or restores direct BAR mappings
     */
    IntxInterrupt(PciHost host, PciMachine machine, PciEventLoop loop, int pin, Duration mmapTimeout,
            Consumer<Boolean> suspendMmap) {
        this.host = host;
        this.machine = machine;
        this.loop = loop;
        this.pin = pin;
        this.mmapTimeout = mmapTimeout;
        this.suspendMmap = suspendMmap;
    }

    boolean connected() {
        return connection != null;
    }

    boolean pending() {
        return pending;
    }

    /** Whether the machine resamples (EOI handled in the kernel). */
    boolean resampled() {
        return connection instanceof IntxConnection.Resampled;
    }

    /** Enables INTx on the host and connects the pin to the guest. */
    void connect() {
        if (trigger != null) {
            return;
        }
        EventFd t = EventFd.create();
        trigger = t;
        GuestInterrupt.Line line = machine.intx().line(pin);
        try {
            host.setIrqTriggers(PciIrqIndex.INTX, 0, List.of(t));
            if (machine.irqs().supportsResample()) {
                EventFd r = EventFd.create();
                resample = r;
                host.unmaskIntxOn(r);
                connection = new IntxConnection.Resampled(machine.irqs().routeLevel(line, t, r));
            } else {
                connection = new IntxConnection.Level(machine.intx().userLevel(line));
                watch = loop.watch(t, this::fired);
            }
        } catch (RuntimeException e) {
            machine.warnings().accept(host.name() + ": enabling INTx failed, the pin stays silent: " + e.getMessage());
        }
    }

    /** The host signalled INTx (fallback only): raise the line and trap BAR accesses. */
    private void fired() {
        if (!(connection instanceof IntxConnection.Level level)) {
            return;
        }
        pending = true;
        level.line().set(true);
        suspendMmap.accept(true);
        rearm();
    }

    /** A trapped BAR access: in the fallback, the guest's sign that it has serviced the interrupt. */
    void barAccessed() {
        if (!pending || !(connection instanceof IntxConnection.Level level)) {
            return;
        }
        pending = false;
        level.line().set(false);
        host.unmaskIntx();
        if (mmapTimeout.isZero()) {
            cancelTimer();
            suspendMmap.accept(false);
        }
    }

    private void rearm() {
        cancelTimer();
        if (!mmapTimeout.isZero()) {
            timer = loop.schedule(mmapTimeout, this::timerExpired);
        }
    }

    private void timerExpired() {
        timer = null;
        if (connection == null) {
            return;
        }
        if (pending) {
            rearm();
        } else {
            suspendMmap.accept(false);
        }
    }

    private void cancelTimer() {
        PciEventLoop.Registration t = timer;
        if (t != null) {
            t.close();
            timer = null;
        }
    }

    /** Disables INTx on the host and disconnects the pin (MSI/MSI-X took over, or shutdown). */
    void disconnect() {
        IntxConnection c = connection;
        if (c == null && trigger == null) {
            return;
        }
        try {
            host.disableIrq(PciIrqIndex.INTX);
        } catch (RuntimeException e) {
            machine.warnings().accept(host.name() + ": disabling INTx failed: " + e.getMessage());
        }
        cancelTimer();
        PciEventLoop.Registration w = watch;
        if (w != null) {
            w.close();
        }
        if (c != null) {
            c.close();
        }
        if (pending || c instanceof IntxConnection.Level) {
            suspendMmap.accept(false);
        }
        EventFd t = trigger;
        EventFd r = resample;
        if (t != null) {
            t.close();
        }
        if (r != null) {
            r.close();
        }
        watch = null;
        connection = null;
        trigger = null;
        resample = null;
        pending = false;
    }
}
