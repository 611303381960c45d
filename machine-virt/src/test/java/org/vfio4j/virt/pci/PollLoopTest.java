package org.vfio4j.virt.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.EventFd;
import org.vfio4j.pci.PciEventLoop;

/** The per-device event loop: watched eventfds call their handler once per signal burst; timers fire once. */
class PollLoopTest {
    private final List<String> messages = new CopyOnWriteArrayList<>();

    @Test
    void aTaskThatThrowsIsReportedAndTheLoopGoesOn() throws Exception {
        try (PollLoop loop = new PollLoop("test-loop", messages::add); EventFd e = EventFd.create()) {
            Semaphore handled = new Semaphore(0);
            loop.watch(e, () -> {
                handled.release();
                throw new IllegalStateException("the device is gone");
            });
            for (int i = 0; i < 3; i++) {
                e.signal();
                assertTrue(handled.tryAcquire(10, TimeUnit.SECONDS), "signal " + i + " was not handled after a throw");
            }
            CountDownLatch timer = new CountDownLatch(1);
            loop.schedule(Duration.ZERO, timer::countDown);
            assertTrue(timer.await(10, TimeUnit.SECONDS), "the loop still runs timers");
            assertTrue(!messages.isEmpty() && messages.getFirst().contains("the device is gone"), messages.toString());
        }
    }

    /**
     * What a guest toggling MSI-X masks does to the loop from a vCPU thread: watches made and dropped, their
     * eventfds closed right after, while the loop polls them. The loop must neither die nor read a closed one.
     */
    @Test
    void watchesClosedWithTheirEventFdsWhileThePollRunsLeaveTheLoopAlive() throws Exception {
        try (PollLoop loop = new PollLoop("test-loop", messages::add)) {
            int live = 64;
            EventFd[] fds = new EventFd[live];
            PciEventLoop.Registration[] watches = new PciEventLoop.Registration[live];
            for (int i = 0; i < 20_000; i++) {
                int k = i % live;
                if (watches[k] != null) {
                    watches[k].close();
                    fds[k].close();
                }
                fds[k] = EventFd.create();
                watches[k] = loop.watch(fds[k], () -> { });
                fds[k].signal();
            }
            for (int k = 0; k < live; k++) {
                watches[k].close();
                fds[k].close();
            }
            CountDownLatch timer = new CountDownLatch(1);
            loop.schedule(Duration.ZERO, timer::countDown);
            assertTrue(timer.await(10, TimeUnit.SECONDS), "the loop died: " + messages);
            assertEquals(List.of(), messages, "nothing failed");
        }
    }

    @Test
    void aSignalledEventFdRunsItsHandlerUntilTheWatchIsClosed() throws Exception {
        try (PollLoop loop = new PollLoop("test-loop", messages::add); EventFd e = EventFd.create()) {
            CountDownLatch once = new CountDownLatch(1);
            CountDownLatch twice = new CountDownLatch(2);
            PciEventLoop.Registration w = loop.watch(e, () -> {
                once.countDown();
                twice.countDown();
            });
            e.signal();
            assertTrue(once.await(10, TimeUnit.SECONDS), "first signal handled");
            e.signal();
            assertTrue(twice.await(10, TimeUnit.SECONDS), "second signal handled");
            w.close();
            e.signal();
            // the loop no longer reads it: the count stays in the eventfd
            assertEquals(1, e.read());
        }
    }

    @Test
    void aTimerFiresOnceAndAClosedOneNever() throws Exception {
        try (PollLoop loop = new PollLoop("test-loop", messages::add)) {
            AtomicInteger fired = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(1);
            loop.schedule(Duration.ofMillis(500), () -> fired.addAndGet(100)).close();
            loop.schedule(Duration.ofMillis(20), () -> {
                fired.incrementAndGet();
                done.countDown();
            });
            assertTrue(done.await(10, TimeUnit.SECONDS));
            CountDownLatch later = new CountDownLatch(1);
            loop.schedule(Duration.ofMillis(700), later::countDown);
            assertTrue(later.await(10, TimeUnit.SECONDS));
            assertEquals(1, fired.get(), "the cancelled 500 ms timer must not have run before the 700 ms one");
        }
    }
}
