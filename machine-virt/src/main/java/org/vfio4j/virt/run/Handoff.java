package org.vfio4j.virt.run;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.eclipse.jdt.annotation.Nullable;

/**
 * Work that opens something ({@code T}) on a thread of its own, and hands it to whoever joins it:
 * {@link #take()} returns the result — the caller owns it from then on — or throws the work's own exception on
 * the caller's thread; {@link #close()} asks unfinished work to stop, waits for it, and closes a result nobody
 * took.
 *
 * <p>Why a class of its own: the guest's set-up ({@link Preboot}) runs beside the machine's assembly, and either
 * side can fail. Whatever happens, exactly one party closes what the work opened — the taker, or this handle when
 * nobody took it — and nothing is reported from the background thread: its failure is the taker's to report,
 * and it is dropped when nobody takes (the assembly's own error is what the person sees then).
 *
 * {@snippet :
 * try (Handoff<Resource> h = Handoff.start("opener", cancelled -> Resource.open(), Resource::close)) {
 *     // ... other work on this thread; if it throws, close() releases the resource
 *     try (Resource r = h.take()) {
 *         use(r);
 *     }
 * }
 * }
 *
 * @param <T> what the work opens
 */
final class Handoff<T> implements AutoCloseable {
    /** The work; it checks {@code cancelled} between steps and releases what it opened when it gives up. */
    @FunctionalInterface
    interface Work<T> {
        T run(BooleanSupplier cancelled) throws Exception;
    }

    private final Work<T> work;
    private final Consumer<T> release;
    private final @Nullable Thread thread;
    private volatile boolean cancelled;
    private boolean taken;
    // Written by the work's thread before it ends, read after joining it (Thread.join orders the two).
    private @Nullable T result;
    private @Nullable Throwable failure;

    private Handoff(Work<T> work, Consumer<T> release, @Nullable String threadName) {
        this.work = work;
        this.release = release;
        this.thread = threadName == null ? null : Thread.ofPlatform().name(threadName).daemon().unstarted(this::finish);
    }

    /**
     * Starts {@code work} on a daemon thread named {@code threadName} (it never keeps the VMM alive) and returns
     * at once; {@code release} closes a result nobody took.
     */
    static <T> Handoff<T> start(String threadName, Work<T> work, Consumer<T> release) {
        Handoff<T> h = new Handoff<>(work, release, threadName);
        Objects.requireNonNull(h.thread).start();
        return h;
    }

    /** Work that runs only when taken, on the taker's thread: the same contract without a second thread. */
    static <T> Handoff<T> onTake(Work<T> work, Consumer<T> release) {
        return new Handoff<>(work, release, null);
    }

    private void finish() {
        T r = null;
        Throwable f = null;
        try {
            r = work.run(() -> cancelled);
        } catch (Throwable t) {
            f = t;
        }
        result = r;
        failure = f;
    }

    /**
     * Waits for the work and returns its result, which the caller then owns (and closes).
     *
     * @throws Exception the work's own exception, as it threw it
     * @throws IllegalStateException when the result was already taken or the handle closed
     */
    synchronized T take() throws Exception {
        if (taken) {
            throw new IllegalStateException("already taken or closed: the work's result has one owner");
        }
        if (thread == null) {
            finish();
        } else {
            awaitThread();
        }
        taken = true;
        Throwable f = failure;
        T r = result;
        result = null;
        if (f instanceof Exception e) {
            throw e;
        }
        if (f instanceof Error e) {
            throw e;
        }
        if (f != null || r == null) {
            throw new IllegalStateException("the work returned nothing", f);
        }
        return r;
    }

    /** Stops unfinished work at its next step, waits for its thread, and closes a result nobody took. */
    @Override
    public synchronized void close() {
        cancelled = true;
        awaitThread();
        T r = result;
        result = null;
        taken = true;
        if (r != null) {
            release.accept(r);
        }
    }

    /** Joins the thread (if any) even when interrupted, keeping the interrupt for the caller. */
    private void awaitThread() {
        Thread t = thread;
        if (t == null) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
