package org.vfio4j.virt.run;

import org.vfio4j.virt.BootTrace;
import org.vfio4j.virt.kvm.KvmException;
import org.vfio4j.virt.kvm.KvmSys;
import org.vfio4j.virt.kvm.KvmVcpu;
import org.vfio4j.virt.kvm.VcpuExit;

/**
 * One platform thread per vCPU, looping on KVM_RUN until the run has an outcome.
 *
 * <p>Why a signal to stop: a vCPU idling in WFI (or powered off, waiting for PSCI CPU_ON) stays in the kernel
 * with no exit to user space. The thread blocks SIGUSR1 for itself, tells KVM to unblock it during KVM_RUN
 * (KVM_SET_SIGNAL_MASK), and {@link #stop()} sets {@code immediate_exit} and sends SIGUSR1 to this thread
 * only: KVM_RUN returns EINTR and no handler ever runs. The thread's kernel id is used only while the thread
 * is known to be alive (under {@link #lock}): once it has ended, the id may name another thread. The signal
 * stays pending after it has interrupted {@code KVM_RUN} (blocked again outside), so the thread takes it at
 * once; a later kick would otherwise merge into it and interrupt nothing.
 *
 * <p>Why a pause is a kick too: {@link RunControl#pause()} kicks each thread out of {@code KVM_RUN} and the loop
 * parks in {@link RunControl#awaitRunnable()} before the next one; {@code immediate_exit} is cleared before
 * the state is read, so a pause or stop requested in between still takes effect at the next {@code KVM_RUN}.
 *
 * <p>Why every {@link Throwable} ends the run: a vCPU thread that died silently would leave the runner waiting
 * for an outcome forever, its devices held. Guest accesses themselves never throw here (the MMIO bus answers a
 * failing device with all ones), so what reaches this thread is a VMM fault.
 */
final class VcpuThread implements Runnable, RunControl.Kickable {
    private final KvmVcpu cpu;
    private final ExitHandler handler;
    private final RunControl control;
    private final Object lock = new Object();
    private final java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
    private final Thread thread;
    private volatile boolean stopping;
    private int tid;
    private boolean alive;

    VcpuThread(KvmVcpu cpu, ExitHandler handler, RunControl control) {
        this.cpu = cpu;
        this.handler = handler;
        this.control = control;
        this.thread = Thread.ofPlatform().name("vcpu" + cpu.id()).unstarted(this);
    }

    /** Starts the thread and waits until its signal mask is in place, so {@link #stop()} always reaches it. */
    void start() {
        control.register(this);
        thread.start();
        try {
            ready.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        try {
            cpu.setSignalMask(KvmSys.blockStopSignal());
            synchronized (lock) {
                tid = KvmSys.threadId();
                alive = true;
            }
        } catch (Throwable e) {
            control.finish(RunOutcome.failed("vCPU " + cpu.id() + ": " + e.getMessage()));
            control.unregister(this);
            ready.countDown();
            return;
        }
        ready.countDown();
        long exits = 0;
        long userNanos = 0;   // with the trace on: time from KVM_RUN's return to the exit handled
        try {
            while (!stopping) {
                cpu.clearStopRequest();   // before the state is read: a later pause or stop sets it again
                if (stopping || !control.awaitRunnable()) {
                    break;
                }
                VcpuExit exit = cpu.run();
                if (exit instanceof VcpuExit.Interrupted) {
                    KvmSys.drainStopSignal();   // a kick's signal: taken, so the next kick reaches KVM_RUN again
                }
                if (exits++ == 0 && BootTrace.on()) {
                    BootTrace.mark("vcpu" + cpu.id() + "-first-exit");
                }
                long t = BootTrace.on() ? System.nanoTime() : 0;
                RunOutcome end = handler.handle(cpu.id(), exit);
                if (BootTrace.on()) {
                    userNanos += System.nanoTime() - t;
                }
                if (exits == 1 && BootTrace.on()) {
                    BootTrace.mark("vcpu" + cpu.id() + "-first-exit-handled");
                }
                if (end != null) {
                    control.finish(end);
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // only the runner interrupts, to end the run: leave the loop
        } catch (KvmException e) {
            control.finish(RunOutcome.failed(e.getMessage()));
        } catch (Throwable e) {
            // an Error too (StackOverflowError, OutOfMemoryError when the JVM does not exit on it): the run ends
            // with an outcome, so the runner stops the other vCPUs and releases the devices instead of waiting
            control.finish(RunOutcome.failed("vCPU " + cpu.id() + " failed: " + e));
        } finally {
            if (BootTrace.on()) {
                BootTrace.mark("vcpu" + cpu.id() + "-exits=" + exits + "-handled-in-ms=" + userNanos / 1_000_000);
            }
            synchronized (lock) {
                alive = false;
            }
            control.unregister(this);
        }
    }

    /** Asks the vCPU to leave KVM_RUN and the loop; returns at once ({@link #join()} waits). */
    void stop() {
        stopping = true;
        kick();
    }

    /** Makes the vCPU leave KVM_RUN once (a pause); the loop decides what next. Safe from any thread. */
    @Override
    public void kick() {
        cpu.requestStop();
        synchronized (lock) {
            if (alive) {
                KvmSys.kick(tid);
            }
        }
    }

    /** Waits for the thread to end. */
    void join() throws InterruptedException {
        thread.join();
    }

    @Override
    public String toString() {
        return thread.getName();
    }

    /** Whether the thread has ended. */
    boolean finished() {
        return !thread.isAlive();
    }
}
