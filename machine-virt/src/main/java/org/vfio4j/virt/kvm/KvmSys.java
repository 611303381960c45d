package org.vfio4j.virt.kvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few calls the vCPU loop needs beyond vfio-common's {@code Native}: {@code KVM_RUN} without the EINTR
 * retry (EINTR is how a vCPU is told to stop), and the pthread calls that block the stop signal outside
 * {@code KVM_RUN} and deliver it to one vCPU thread.
 *
 * <p>Why a signal at all: a guest idling in WFI with an in-kernel GIC and timer does not exit to user space,
 * so setting {@code immediate_exit} alone does not stop it; a signal that is blocked in the thread but
 * unblocked during {@code KVM_RUN} (KVM_SET_SIGNAL_MASK) makes {@code KVM_RUN} return EINTR without a
 * handler ever running.
 */
public final class KvmSys {
    /** The stop signal (SIGUSR1, the same number on arm64 and x86_64; HotSpot does not use it). */
    static final int SIGUSR1 = 10;
    /** glibc's sigset_t is 128 bytes; the kernel's is the first 8. */
    static final long SIGSET_BYTES = 128, KERNEL_SIGSET_BYTES = 8;
    static final int SIG_BLOCK = 0;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> STATE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final MethodHandle IOCTL = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("ioctl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.captureCallState("errno"),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle PTHREAD_SELF = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("pthread_self"), FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle SIGNAL = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("signal"), FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS));
    private static final MethodHandle PTHREAD_SIGMASK = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("pthread_sigmask"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    /** Linked on first use (stopping the vCPUs), not at start-up: each signature costs ~0.1 s in the lab. */
    private static final class PthreadKill {
        static final MethodHandle H = LINKER.downcallHandle(
                LINKER.defaultLookup().findOrThrow("pthread_kill"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
    }

    private KvmSys() {
    }

    /** One ioctl with no EINTR retry: the result or {@code -errno}. */
    static int ioctlOnce(int fd, long request, long arg) {
        try {
            MemorySegment st = STATE.get();
            int r = (int) IOCTL.invokeExact(st, fd, request, arg);
            return r < 0 ? -(int) ERRNO.get(st, 0L) : r;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /** pthread_self(3). */
    public static long pthreadSelf() {
        try {
            return (long) PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
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
        try {
            MemorySegment previous = (MemorySegment) SIGNAL.invokeExact(SIGUSR1, MemorySegment.ofAddress(1L));
            if (previous.address() == -1L) {
                throw new KvmException("signal(SIGUSR1, SIG_IGN)", 22, "");
            }
        } catch (KvmException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
        ignored = true;
    }

    /** Sends the stop signal to vCPU thread {@code thread} (alive, as {@link #pthreadSelf()} returned it). */
    public static void kick(long thread) {
        int r = pthreadKill(thread, SIGUSR1);
        if (r != 0) {
            throw new KvmException("pthread_kill(vCPU thread, SIGUSR1)", r, "");
        }
    }

    /** pthread_kill(3): 0 or an errno value. */
    static int pthreadKill(long thread, int sig) {
        try {
            return (int) PthreadKill.H.invokeExact(thread, sig);
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /**
     * Blocks {@code sig} in the calling thread and returns the kernel sigset to use during KVM_RUN: the
     * thread's previous mask with {@code sig} unblocked.
     */
    static long blockAndRunMask(int sig) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = a.allocate(SIGSET_BYTES, 8);
            MemorySegment old = a.allocate(SIGSET_BYTES, 8);
            set.set(JAVA_LONG, 0, 1L << (sig - 1));
            int r = (int) PTHREAD_SIGMASK.invokeExact(SIG_BLOCK, set, old);
            if (r != 0) {
                throw new KvmException("pthread_sigmask(SIG_BLOCK)", r, "");
            }
            return old.get(JAVA_LONG, 0) & ~(1L << (sig - 1));
        } catch (KvmException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }
}
