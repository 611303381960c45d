package org.vfio4j.virt.run;

import java.io.IOException;
import java.io.Serial;

import org.vfio4j.virt.BootTrace;
import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.kvm.KvmException;

/**
 * The guest's KVM set-up ({@link PreparedVm}: host check, kernel header, {@code /dev/kvm}, VM, RAM with the kernel
 * and initrd in it, vCPUs, vGIC), started as soon as the command line is known and joined by the runner once the
 * machine is assembled and its device tree written.
 *
 * <p>Why: none of that set-up needs Guice's result, and on the boot's critical path it came after Guice and the
 * assembly (about 0.5 s of the aarch64 lab's boot, most of it reading the kernel Image into guest RAM). {@link
 * #start} runs it on a second thread beside them; {@link #onDemand} runs it on the runner's thread when it joins,
 * for callers that run a machine without {@code Main} (tests, other front ends).
 *
 * <p>How it reaches the runner: {@code Main} creates it before Guice and binds the instance in the runner's module
 * ({@code RunnerModule}), so {@link KvmRunner} gets it by constructor injection like its other parts, and the
 * {@link org.vfio4j.virt.MachineRunner} seam is unchanged. Ownership: {@link #join()} hands the VM to the runner,
 * which closes it; {@link #close()} (Main's try-with-resources) stops and waits for the work and closes a VM nobody
 * took — when Guice, the assembly or the device tree failed. A failure of the set-up is not printed by the
 * background thread: {@link #join()} throws it as a {@link Failure} carrying the line and status the person sees,
 * exactly those the runner printed when it did this work itself.
 */
public final class Preboot implements AutoCloseable {
    private final Handoff<PreparedVm> work;

    private Preboot(Handoff<PreparedVm> work) {
        this.work = work;
    }

    /** Starts the set-up for {@code config} on a thread of its own ({@code virt-preboot}); returns at once. */
    public static Preboot start(MachineConfig config) {
        return new Preboot(Handoff.start("virt-preboot", cancelled -> prepare(config, cancelled), PreparedVm::close));
    }

    /** The set-up for {@code config}, done on the thread that {@link #join()}s, when it does; nothing before. */
    public static Preboot onDemand(MachineConfig config) {
        return new Preboot(Handoff.onTake(cancelled -> prepare(config, cancelled), PreparedVm::close));
    }

    private static PreparedVm prepare(MachineConfig config, java.util.function.BooleanSupplier cancelled) throws Failure {
        try {
            PreparedVm vm = PreparedVm.prepare(config, cancelled);
            BootTrace.mark("preboot-done");
            return vm;
        } catch (KvmException e) {
            throw new Failure(RunOutcome.failed(e.getMessage()));
        } catch (IOException e) {
            throw new Failure(RunOutcome.failed("cannot load the guest: " + e.getMessage()));
        } catch (IllegalArgumentException e) {
            throw new Failure(RunOutcome.failed(e.getMessage()));
        }
    }

    /**
     * Waits for the set-up and hands over the VM: the caller owns it (and closes it) from here. Once per preboot.
     *
     * @throws Failure what went wrong, as the line and status to end the run with
     */
    public PreparedVm join() throws Failure {
        try {
            return work.take();
        } catch (Failure | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the guest's set-up failed unexpectedly", e);
        }
    }

    /** Stops the set-up at its next step if it is still running, waits for it, and closes a VM nobody took. */
    @Override
    public void close() {
        work.close();
    }

    /**
     * The set-up failed, or the host cannot run guests: {@link #outcome()} is what the run ends with (status and
     * the one line to print).
     */
    public static final class Failure extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;
        private final transient RunOutcome outcome;

        Failure(RunOutcome outcome) {
            super(outcome.message(), null, false, false);
            this.outcome = outcome;
        }

        /** How the run ends. */
        public RunOutcome outcome() {
            return outcome;
        }
    }
}
