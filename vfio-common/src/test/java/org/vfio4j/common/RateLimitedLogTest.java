package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The budget, the suppressed-count line and the bound on what a flood can print, on a hand-driven clock. */
class RateLimitedLogTest {
    private final List<String> lines = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000);
    private final RateLimitedLog log = new RateLimitedLog(lines::add, 3, Duration.ofSeconds(10), now::get);

    @Test
    void letsTheBudgetThroughThenCountsTheRest() {
        for (int i = 0; i < 100; i++) {
            log.report("line " + i);
        }
        assertEquals(List.of("line 0", "line 1", "line 2"), lines);
        assertEquals(97, log.suppressed());
        log.report(() -> {
            throw new AssertionError("a suppressed line is not made");
        });
        assertEquals(98, log.suppressed());
    }

    @Test
    void theNextIntervalOpensWithOneSummaryLine() {
        for (int i = 0; i < 5; i++) {
            log.report("a" + i);
        }
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        log.report("b");
        assertEquals(5, lines.size(), lines.toString());
        assertTrue(lines.get(3).startsWith("(2 more lines like these suppressed in the last 10 s"), lines.get(3));
        assertEquals("b", lines.get(4));
        assertEquals(0, log.suppressed());
    }

    @Test
    void aMillionReportsOverAMinutePrintABoundedNumberOfLines() {
        long step = Duration.ofMinutes(1).toNanos() / 1_000_000;
        for (int i = 0; i < 1_000_000; i++) {
            log.report("flood");
            now.addAndGet(step);
        }
        log.flush();
        // 6 intervals of 10 s (the clock runs to exactly one minute, so a seventh opens at the last report or not):
        // at most 3 lines and one summary each, plus the flush
        assertTrue(lines.size() <= 7 * 4 + 1, lines.size() + " lines");
        long counted = lines.stream().filter(l -> l.equals("flood")).count();
        long summarised = lines.stream().filter(l -> l.startsWith("(")).mapToLong(l -> Long.parseLong(l.substring(1,
                l.indexOf(' ')))).sum();
        assertEquals(1_000_000, counted + summarised, "every report is either printed or counted");
    }

    @Test
    void flushReportsWhatIsLeftOnce() {
        for (int i = 0; i < 4; i++) {
            log.report("x");
        }
        log.flush();
        log.flush();
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(3).startsWith("(1 more line like these"), lines.get(3));
    }

    @Test
    void refusesANonsenseBudget() {
        assertThrows(IllegalArgumentException.class, () -> new RateLimitedLog(lines::add, 0, Duration.ofSeconds(1),
                System::nanoTime));
        assertThrows(IllegalArgumentException.class, () -> new RateLimitedLog(lines::add, 1, Duration.ZERO,
                System::nanoTime));
    }
}
