package org.vfio4j.virt.kvm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vfio4j.common.sys.Native;

/**
 * The few calls the vCPU loop needs beyond plain ioctls: {@code KVM_RUN} without the EINTR retry (EINTR is how a
 * vCPU is told to stop), and the signal calls that block the stop signal outside {@code KVM_RUN} and deliver it
 * to one vCPU thread.
 *
 * <p>Why a signal at all: a guest idling in WFI with an in-kernel GIC and timer does not exit to user space,
 * so setting {@code immediate_exit} alone does not stop it; a signal that is blocked in the thread but
 * unblocked during {@code KVM_RUN} (KVM_SET_SIGNAL_MASK) makes {@code KVM_RUN} return EINTR without a
 * handler ever running. All of it goes through vfio-common's {@link Native} (one FFM signature for every
 * system call): threads are named by their kernel thread id and signalled with tgkill(2).
 */
public final class KvmSys {
    /** The stop signal (SIGUSR1, the same number on arm64 and x86_64; HotSpot does not use it). */
    static final int SIGUSR1 = 10;
    /** The kernel's sigset is 8 bytes (KVM_SET_SIGNAL_MASK's {@code len}). */
    static final long KERNEL_SIGSET_BYTES = Native.KERNEL_SIGSET_BYTES;

    private KvmSys() {
    }

    /** One ioctl with no EINTR retry: the result or {@code -errno}. */
    static int ioctlOnce(int fd, long request, long arg) {
        return Native.ioctlOnce(fd, request, arg);
    }

    /** The calling thread's kernel thread id, for {@link #kick}. */
    public static int threadId() {
        return Native.gettid();
    }

    /**
     * Blocks the stop signal in the calling (vCPU) thread; returns the mask to give KVM_SET_SIGNAL_MASK, which
     * unblocks it while in KVM_RUN.
     */
    public static long blockStopSignal() {
        ignoreStopSignal();
        return blockAndRunMask(SIGUSR1);
    }

    private static volatile boolean ignored;

    /**
     * Sets the stop signal's disposition to SIG_IGN (once per process). A blocked signal is never discarded as
     * ignored (the kernel checks {@code blocked} and, during KVM_RUN, {@code real_blocked}), so it still
     * interrupts KVM_RUN; but once it is unblocked anywhere — e.g. by the C library while a vCPU thread exits
     * with the signal still pending — it is dropped instead of killing the process (SIGUSR1's default action).
     */
    private static synchronized void ignoreStopSignal() {
        if (ignored) {
            return;
        }
        int r = Native.ignoreSignal(SIGUSR1);
        if (r < 0) {
            throw new KvmException("rt_sigaction(SIGUSR1, SIG_IGN)", -r, "");
        }
        ignored = true;
    }

    /** Sends the stop signal to vCPU thread {@code tid} (alive, as {@link #threadId()} returned it). */
    public static void kick(int tid) {
        int r = Native.tgkill(tid, SIGUSR1);
        if (r < 0) {
            throw new KvmException("tgkill(vCPU thread, SIGUSR1)", -r, "");
        }
    }

    /**
     * Takes a stop signal still pending for the calling vCPU thread after {@code KVM_RUN} returned EINTR, so the
     * next kick interrupts the next {@code KVM_RUN} (a pending signal would swallow it); none pending is fine.
     */
    public static void drainStopSignal() {
        int r = Native.takePendingSignal(SIGUSR1);
        if (r < 0 && -r != org.vfio4j.common.sys.Errno.EAGAIN && -r != org.vfio4j.common.sys.Errno.EINTR) {
            throw new KvmException("rt_sigtimedwait(SIGUSR1)", -r, "");
        }
    }

    /**
     * Blocks {@code sig} in the calling thread and returns the kernel sigset to use during KVM_RUN: the
     * thread's previous mask with {@code sig} unblocked.
     */
    static long blockAndRunMask(int sig) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = a.allocate(KERNEL_SIGSET_BYTES, 8);
            MemorySegment old = a.allocate(KERNEL_SIGSET_BYTES, 8);
            set.set(JAVA_LONG, 0, 1L << (sig - 1));
            int r = Native.sigprocmask(Native.SIG_BLOCK, set, old);
            if (r < 0) {
                throw new KvmException("rt_sigprocmask(SIG_BLOCK)", -r, "");
            }
            return old.get(JAVA_LONG, 0) & ~(1L << (sig - 1));
        }
    }
}
