package org.vfio4j.virt.run;

import java.util.concurrent.CompletableFuture;

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
 * is known to be alive (under {@link #lock}): once it has ended, the id may name another thread.
 *
 * <p>Why every {@link Throwable} ends the run: a vCPU thread that died silently would leave the runner waiting
 * for an outcome forever, its devices held. Guest accesses themselves never throw here (the MMIO bus answers a
 * failing device with all ones), so what reaches this thread is a VMM fault.
 */
final class VcpuThread implements Runnable {
    private final KvmVcpu cpu;
    private final ExitHandler handler;
    private final CompletableFuture<RunOutcome> outcome;
    private final Object lock = new Object();
    private final java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
    private final Thread thread;
    private volatile boolean stopping;
    private int tid;
    private boolean alive;

    VcpuThread(KvmVcpu cpu, ExitHandler handler, CompletableFuture<RunOutcome> outcome) {
        this.cpu = cpu;
        this.handler = handler;
        this.outcome = outcome;
        this.thread = Thread.ofPlatform().name("vcpu" + cpu.id()).unstarted(this);
    }

    /** Starts the thread and waits until its signal mask is in place, so {@link #stop()} always reaches it. */
    void start() {
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
            outcome.complete(RunOutcome.failed("vCPU " + cpu.id() + ": " + e.getMessage()));
            ready.countDown();
            return;
        }
        ready.countDown();
        long exits = 0;
        long userNanos = 0;   // with the trace on: time from KVM_RUN's return to the exit handled
        try {
            while (!stopping) {
                VcpuExit exit = cpu.run();
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
                    outcome.complete(end);
                    break;
                }
            }
        } catch (KvmException e) {
            outcome.complete(RunOutcome.failed(e.getMessage()));
        } catch (Throwable e) {
            // an Error too (StackOverflowError, OutOfMemoryError when the JVM does not exit on it): the run ends
            // with an outcome, so the runner stops the other vCPUs and releases the devices instead of waiting
            outcome.complete(RunOutcome.failed("vCPU " + cpu.id() + " failed: " + e));
        } finally {
            if (BootTrace.on()) {
                BootTrace.mark("vcpu" + cpu.id() + "-exits=" + exits + "-handled-in-ms=" + userNanos / 1_000_000);
            }
            synchronized (lock) {
                alive = false;
            }
        }
    }

    /** Asks the vCPU to leave KVM_RUN and the loop; returns at once ({@link #join()} waits). */
    void stop() {
        stopping = true;
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
