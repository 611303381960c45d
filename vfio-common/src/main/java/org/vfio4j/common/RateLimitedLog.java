package org.vfio4j.common;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.eclipse.jdt.annotation.Nullable;

/**
 * A diagnostic stream with a fixed budget of lines per interval; what is over the budget is counted and
 * reported as one "suppressed" line when the next interval opens.
 *
 * <p>Why: anything a guest can make the VMM say, it can make the VMM say a million times a second (a driver
 * spinning on a BAR it moved outside the host bridge's windows, a config write the device rejects). A line per
 * event would fill the operator's terminal and disk; no line at all would hide the first, most useful one. A
 * budget keeps both the first lines of every burst and the evidence that it went on. Nothing it holds grows
 * with the number of events.
 * {@snippet :
 * RateLimitedLog log = RateLimitedLog.standard(System.err::println);
 * for (int i = 0; i < 1_000_000; i++) {
 *     log.report("guest write at 0x" + Long.toHexString(address) + " dropped");  // 10 lines, then counted
 * }
 * }
 */
public final class RateLimitedLog {
    /** Lines per interval of {@link #standard}. */
    public static final int STANDARD_BUDGET = 10;
    /** The interval of {@link #standard}. */
    public static final Duration STANDARD_INTERVAL = Duration.ofMinutes(1);

    private final Consumer<String> sink;
    private final int budget;
    private final long intervalNanos;
    private final LongSupplier clock;
    private long windowStart;
    private int used;
    private long suppressed;
    private boolean started;

    /**
     * @param sink where the lines go (one line each, no trailing newline)
     * @param budget lines let through per interval, at least 1
     * @param interval the length of an interval
     * @param clock a monotonic clock in nanoseconds ({@code System::nanoTime})
     */
    public RateLimitedLog(Consumer<String> sink, int budget, Duration interval, LongSupplier clock) {
        if (budget < 1 || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("a budget of at least one line per positive interval, not " + budget
                    + " per " + interval);
        }
        this.sink = sink;
        this.budget = budget;
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
    }

    /**
     * {@value #STANDARD_BUDGET} lines a minute, on the system's monotonic clock: past the first lines, a flood costs
     * one line a minute.
     */
    public static RateLimitedLog standard(Consumer<String> sink) {
        return new RateLimitedLog(sink, STANDARD_BUDGET, STANDARD_INTERVAL, System::nanoTime);
    }

    /** Reports {@code line} if the interval's budget allows, otherwise counts it. */
    public void report(String line) {
        report(() -> line);
    }

    /**
     * Reports the line {@code message} makes if the interval's budget allows, otherwise counts it without
     * making it: a flood costs no formatting.
     */
    public void report(Supplier<String> message) {
        @Nullable String summary;
        synchronized (this) {
            long now = clock.getAsLong();
            summary = rollOver(now);
            if (used >= budget) {
                suppressed++;
                return;
            }
            used++;
        }
        if (summary != null) {
            sink.accept(summary);
        }
        sink.accept(message.get());
    }

    /** Reports the count of lines suppressed so far, if any (at the end of a run). */
    public void flush() {
        @Nullable String summary;
        synchronized (this) {
            summary = suppressed == 0 ? null : summaryLine(clock.getAsLong());
            suppressed = 0;
        }
        if (summary != null) {
            sink.accept(summary);
        }
    }

    /** Lines counted and not reported since the last summary. */
    public synchronized long suppressed() {
        return suppressed;
    }

    private @Nullable String rollOver(long now) {
        if (!started) {
            started = true;
            windowStart = now;
            return null;
        }
        if (now - windowStart < intervalNanos) {
            return null;
        }
        @Nullable String summary = suppressed == 0 ? null : summaryLine(now);
        windowStart = now;
        used = 0;
        suppressed = 0;
        return summary;
    }

    private String summaryLine(long now) {
        long ms = Math.max(0, (now - windowStart) / 1_000_000);
        return "(" + suppressed + " more line" + (suppressed == 1 ? "" : "s") + " like these suppressed in the last "
                + (ms >= 1000 ? ms / 1000 + " s" : ms + " ms") + "; at most " + budget + " lines per "
                + Duration.ofNanos(intervalNanos).toSeconds() + " s)";
    }
}
