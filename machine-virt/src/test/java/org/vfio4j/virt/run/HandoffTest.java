package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

/** Who closes what the background work opened, and who reports its failure. */
class HandoffTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private final List<String> released = new CopyOnWriteArrayList<>();

    @Test
    void theTakerOwnsTheResultAndCloseLeavesItAlone() throws Exception {
        String taken;
        try (Handoff<String> h = Handoff.start("t", c -> "vm", released::add)) {
            taken = h.take();
        }
        assertEquals("vm", taken);
        assertEquals(List.of(), released, "the taker closes what it took");
    }

    @Test
    void closeStopsTheWorkWaitsForItAndReleasesAResultNobodyTook() {
        CountDownLatch started = new CountDownLatch(1);
        List<String> seen = new CopyOnWriteArrayList<>();
        assertTimeoutPreemptively(LIMIT, () -> {
            Handoff<String> h = Handoff.start("t", cancelled -> {
                started.countDown();
                while (!cancelled.getAsBoolean()) {
                    Thread.onSpinWait();   // a step of the work; the next step would see the request
                }
                seen.add("cancelled");
                return "vm";
            }, released::add);
            started.await();
            h.close();
            assertEquals(List.of("cancelled"), seen, "close() asked the work to stop");
            assertEquals(List.of("vm"), released, "close() waited for the work and released its result");
            assertThrows(IllegalStateException.class, h::take, "nothing is left to take after close()");
        });
    }

    @Test
    void theWorksFailureIsThrownToTheTakerAsItWasThrown() {
        IOException failure = new IOException("cannot read Image");
        List<Thread> threads = new CopyOnWriteArrayList<>();
        Handoff<String> h = Handoff.start("t", c -> {
            threads.add(Thread.currentThread());
            throw failure;
        }, released::add);
        IOException e = assertThrows(IOException.class, h::take);
        assertSame(failure, e);
        assertTrue(threads.getFirst() != Thread.currentThread(), "the work ran on its own thread");
        h.close();
        assertEquals(List.of(), released);
        assertThrows(IllegalStateException.class, h::take, "one taker");
    }

    @Test
    void anErrorOfTheWorkReachesTheTakerToo() {
        Handoff<String> h = Handoff.start("t", c -> {
            throw new StackOverflowError("bug");
        }, released::add);
        assertThrows(StackOverflowError.class, h::take);
    }

    @Test
    void onTakeWorkRunsOnlyWhenTakenOnTheTakersThread() throws Exception {
        List<Thread> threads = new CopyOnWriteArrayList<>();
        try (Handoff<String> never = Handoff.onTake(c -> {
            threads.add(Thread.currentThread());
            return "vm";
        }, released::add)) {
            assertEquals(List.of(), threads);
        }
        assertEquals(List.of(), threads, "closing it untaken ran nothing");
        try (Handoff<String> h = Handoff.onTake(c -> {
            threads.add(Thread.currentThread());
            return "vm";
        }, released::add)) {
            assertEquals("vm", h.take());
        }
        assertEquals(List.of(Thread.currentThread()), threads);
        assertEquals(List.of(), released);
    }
}
