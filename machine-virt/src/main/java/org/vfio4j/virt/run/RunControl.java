package org.vfio4j.virt.run;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sandbox.Sandbox;

/**
 * The run state of one machine — prelaunch, running, paused, shut down — and the one place that changes it:
 * the vCPU threads wait here while the machine is paused, QMP's {@code stop}/{@code cont}/{@code quit} and the
 * SIGTERM hook act here, and every change is told to the listeners as a {@link Event} (QMP turns them into
 * events).
 *
 * <p>Why one object before the vCPUs exist: a QMP client may connect, ask the status or {@code cont} while the
 * machine is still being assembled ({@code -S} starts it in {@link Status#PRELAUNCH}); the threads that start
 * later simply find the state as it is by then.
 *
 * <p>Why a pause is synchronous: {@link #pause()} returns only once every vCPU thread is out of {@code KVM_RUN}
 * and parked here (each is kicked with {@code immediate_exit} and its stop signal), as QEMU's {@code stop}
 * does; a client that reads memory or device state after {@code stop} sees a machine that stands still.
 * Devices keep running while the vCPUs are paused (an interrupt from an assigned device is delivered once
 * they run again), as in QEMU.
 *
 * {@snippet :
 * RunControl control = new RunControl(true);          // -S: prelaunch until cont
 * control.listen(event -> log.println(event));
 * control.resume();                                    // RESUME; vCPU threads run
 * control.pause();                                     // returns once every vCPU is parked; STOP
 * control.finish(RunOutcome.quit());                   // SHUTDOWN; the runner tears down
 * }
 *
 * <p>Why a reset is an outcome too: a guest's PSCI {@code SYSTEM_RESET} or QMP's {@code system_reset} ends the
 * current boot exactly as a power-off would (vCPUs stopped, devices released, the VM closed), and the runner then
 * builds a fresh VM and boots again, unless {@code -no-reboot} made a reset the end of the run, as in QEMU. A
 * fresh VM rather than reset registers: KVM's vGIC and ITS keep state (LPI tables, enabled interrupts) that
 * no ioctl resets as a whole, and a new kernel finding it stale would lose its MSIs.
 */
public final class RunControl {
    /** The states QMP's {@code query-status} names. */
    public enum Status {
        PRELAUNCH("prelaunch"), RUNNING("running"), PAUSED("paused"), SHUTDOWN("shutdown");

        private final String qmpName;

        Status(String qmpName) {
            this.qmpName = qmpName;
        }

        /** The name {@code query-status} gives this state. */
        public String qmpName() {
            return qmpName;
        }
    }

    /** A change of run state, in the order it happened. */
    public sealed interface Event {
        /** The vCPUs stopped ({@code STOP}). */
        record Stopped() implements Event {
        }

        /** The vCPUs run again ({@code RESUME}). */
        record Resumed() implements Event {
        }

        /** The guest was reset and boots again ({@code RESET}); {@code outcome} says why. */
        record Reset(RunOutcome outcome) implements Event {
        }

        /** The power button was pressed ({@code POWERDOWN}); the guest decides what follows. */
        record PowerDown() implements Event {
        }

        /** Device {@code id} was taken out of its hot-plug slot and released ({@code DEVICE_DELETED}). */
        record DeviceDeleted(String id) implements Event {
        }

        /** The run ended ({@code SHUTDOWN}); {@code outcome} says how and why. */
        record Shutdown(RunOutcome outcome) implements Event {
        }
    }

    /** What parks: one per vCPU thread, so a pause can kick it out of {@code KVM_RUN}. */
    interface Kickable {
        void kick();
    }

    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    private final List<Kickable> vcpus = new ArrayList<>();
    private final boolean reboot;
    /** The current boot's end: a reset completes it and {@link #rebooted} starts a new one. */
    private CompletableFuture<RunOutcome> outcome = new CompletableFuture<>();
    private @Nullable RunOutcome end;
    private boolean resetting;
    private Status status;
    private int parked;
    private final Sandbox.@Nullable Mode sandbox;
    private final boolean sandboxRequired;
    private @Nullable Runnable powerButton;
    private volatile @Nullable Gate startGate;

    /** What the first boot's vCPUs wait for before they start: QMP's {@code wait=on}, the first client. */
    @FunctionalInterface
    public interface Gate {
        void pass() throws InterruptedException;
    }

    /** A control that starts in {@link Status#PRELAUNCH} when {@code startPaused} ({@code -S}), else running. */
    public RunControl(boolean startPaused) {
        this(startPaused, true);
    }

    /** The same, with {@code reboot} false for {@code -no-reboot}: a reset ends the run. */
    public RunControl(boolean startPaused, boolean reboot) {
        this(startPaused, reboot, null, false);
    }

    /**
     * The same, with the sandbox the runner puts the VMM in before the first vCPU runs ({@code -sandbox}), or
     * null for none; {@code sandboxRequired} when it was asked for, so a host without seccomp ends the run.
     */
    public RunControl(boolean startPaused, boolean reboot, Sandbox.@Nullable Mode sandbox, boolean sandboxRequired) {
        this.status = startPaused ? Status.PRELAUNCH : Status.RUNNING;
        this.reboot = reboot;
        this.sandbox = sandbox;
        this.sandboxRequired = sandboxRequired;
    }

    /** The sandbox to install before the guest runs, or null for none. */
    public Sandbox.@Nullable Mode sandbox() {
        return sandbox;
    }

    /** Whether {@code -sandbox on} was given (a host that cannot have it is then an error). */
    public boolean sandboxRequired() {
        return sandboxRequired;
    }

    /** Adds a listener; it is called on the thread that made the change, after the change, outside any lock. */
    public void listen(Consumer<Event> listener) {
        listeners.add(listener);
    }

    /** Removes a listener added with {@link #listen}. */
    public void unlisten(Consumer<Event> listener) {
        listeners.remove(listener);
    }

    /** The current state. */
    public synchronized Status status() {
        return status;
    }

    /** Whether the vCPUs may run now. */
    public synchronized boolean running() {
        return status == Status.RUNNING && !resetting;
    }

    /**
     * Stops the vCPUs and waits until each is parked; a no-op (no event) when they are not running. From
     * prelaunch the state becomes paused, without an event, as QEMU's {@code stop} before the first
     * {@code cont} does.
     */
    public void pause() throws InterruptedException {
        List<Kickable> kick;
        synchronized (this) {
            if (status == Status.PRELAUNCH) {
                status = Status.PAUSED;
                return;
            }
            if (status != Status.RUNNING) {
                return;
            }
            status = Status.PAUSED;
            kick = List.copyOf(vcpus);
        }
        for (Kickable k : kick) {
            k.kick();
        }
        synchronized (this) {
            while (status == Status.PAUSED && parked < vcpus.size()) {
                wait();
            }
            if (status != Status.PAUSED) {
                return;   // resumed or ended while the vCPUs were being stopped: no STOP after that
            }
        }
        tell(new Event.Stopped());
    }

    /** Lets the vCPUs run (QMP's {@code cont}); a no-op when they already run or the run has ended. */
    public void resume() {
        synchronized (this) {
            if (status != Status.PAUSED && status != Status.PRELAUNCH) {
                return;
            }
            status = Status.RUNNING;
            notifyAll();
        }
        tell(new Event.Resumed());
    }

    /**
     * Presses the guest's power button (QMP's {@code system_powerdown}): the listeners hear
     * {@link Event.PowerDown}, and the button the runner installed for the current boot is pressed. Before the
     * machine has a button (no boot yet) or after the run has ended, nothing is pressed; returns whether a
     * button was.
     */
    public boolean powerdown() {
        Runnable button;
        synchronized (this) {
            if (status == Status.SHUTDOWN) {
                return false;
            }
            button = powerButton;
        }
        tell(new Event.PowerDown());
        if (button != null) {
            button.run();
        }
        return button != null;
    }

    /** The current boot's power button (the runner's), or null between boots. */
    public synchronized void powerButton(@Nullable Runnable button) {
        powerButton = button;
    }

    /**
     * Ends the run with {@code end} unless it has already ended; returns whether this call ended it. Parked
     * vCPU threads are released to see the end; the listeners hear {@link Event.Shutdown} once. A reset
     * ({@link RunOutcome#isReset()}) ends only the current boot, with {@link Event.Reset}, unless
     * {@code -no-reboot} was given; a second reset before the runner has booted again changes nothing.
     */
    public boolean finish(RunOutcome end) {
        CompletableFuture<RunOutcome> boot;
        boolean reset = reboot && end.isReset();
        synchronized (this) {
            if (status == Status.SHUTDOWN || reset && resetting) {
                return false;
            }
            if (reset) {
                resetting = true;
            } else {
                status = Status.SHUTDOWN;
                this.end = end;
            }
            boot = outcome;
            notifyAll();
        }
        boot.complete(end);   // after a reset this one is done already: the runner reads ended() instead
        tell(reset ? new Event.Reset(end) : new Event.Shutdown(end));
        return true;
    }

    /** How the current boot ended, once it has: the run's end, or a reset after which the runner boots again. */
    public synchronized CompletableFuture<RunOutcome> outcome() {
        return outcome;
    }

    /** How the run ended, or null while it goes on (a reset is not an end). */
    public synchronized @Nullable RunOutcome ended() {
        return end;
    }

    /**
     * Called by the runner once the VM of a reset boot is closed and before the next one's vCPUs start: a new
     * boot begins, in the state the machine was in (running, or paused by a {@code stop} meanwhile). Returns
     * false when the run ended in between (SIGTERM, {@code quit}), so the runner boots nothing.
     */
    synchronized boolean rebooted() {
        if (status == Status.SHUTDOWN) {
            return false;
        }
        resetting = false;
        outcome = new CompletableFuture<>();
        return true;
    }

    /** Registers a vCPU thread that will call {@link #awaitRunnable}; a pause kicks it from now on. */
    synchronized void register(Kickable vcpu) {
        vcpus.add(vcpu);
    }

    /** Removes a vCPU thread that has left its loop; a pause no longer waits for it. */
    synchronized void unregister(Kickable vcpu) {
        vcpus.remove(vcpu);
        notifyAll();
    }

    /**
     * Called by a vCPU thread before each {@code KVM_RUN}: returns at once while the machine runs, parks while it
     * is paused or in prelaunch, and returns false once the run has ended.
     */
    synchronized boolean awaitRunnable() throws InterruptedException {
        if (status == Status.RUNNING && !resetting) {
            return true;
        }
        parked++;
        notifyAll();
        try {
            while ((status == Status.PAUSED || status == Status.PRELAUNCH) && !resetting) {
                wait();
            }
        } finally {
            parked--;
        }
        return status == Status.RUNNING && !resetting;
    }

    /**
     * Holds the first boot's vCPUs until {@code gate} passes (QMP's {@code wait=on}: the first client). Why at the
     * vCPUs and not before the run: everything else, the devices and the sandbox included, is set up meanwhile, so
     * a client's {@code cont} is not kept waiting for it.
     */
    public void startGate(Gate gate) {
        startGate = gate;
    }

    /** The runner, before it starts the vCPUs: waits for the start gate once, if one was set. */
    void passStartGate() throws InterruptedException {
        Gate g = startGate;
        startGate = null;
        if (g != null) {
            g.pass();
        }
    }

    /** Tells the listeners that device {@code id} has been unplugged and released. */
    public void deviceDeleted(String id) {
        tell(new Event.DeviceDeleted(id));
    }

    private void tell(Event e) {
        for (Consumer<Event> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                // a listener's failure (a QMP client gone) is that listener's; the state change stands
            }
        }
    }
}
