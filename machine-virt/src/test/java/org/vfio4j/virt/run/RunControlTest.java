package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The run state with real threads standing in for vCPUs: each spins "in KVM_RUN" until kicked, then asks
 * {@link RunControl#awaitRunnable()} as a vCPU thread does before the next run. Every test ends its run while the
 * stand-ins are parked, since a finish does not kick (the runner stops real vCPU threads itself).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RunControlTest {
    /** A vCPU stand-in: counts its runs; a kick ends the current one. */
    private static final class FakeVcpu implements RunControl.Kickable, Runnable {
        final RunControl control;
        final AtomicInteger runs = new AtomicInteger();
        final Semaphore ran = new Semaphore(0);
        final Thread thread = Thread.ofPlatform().unstarted(this);
        volatile boolean kicked;
        volatile boolean ended;

        FakeVcpu(RunControl control) {
            this.control = control;
            control.register(this);
            thread.start();
        }

        @Override
        public void kick() {
            kicked = true;
        }

        @Override
        public void run() {
            try {
                while (true) {
                    kicked = false;   // before the state is read, as immediate_exit is cleared
                    if (!control.awaitRunnable()) {
                        break;
                    }
                    runs.incrementAndGet();
                    ran.release();
                    while (!kicked) {
                        Thread.yield();   // "in KVM_RUN" until kicked
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                ended = true;
                control.unregister(this);
            }
        }
    }

    private static List<FakeVcpu> vcpus(RunControl c, int n) {
        List<FakeVcpu> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(new FakeVcpu(c));
        }
        return l;
    }

    @Test
    void pauseReturnsOnlyOnceEveryVcpuIsParkedAndThenTheyStandStill() throws Exception {
        RunControl c = new RunControl(false);
        List<RunControl.Event> events = new CopyOnWriteArrayList<>();
        c.listen(events::add);
        List<FakeVcpu> cpus = vcpus(c, 4);
        c.pause();
        assertEquals(RunControl.Status.PAUSED, c.status());
        int[] before = cpus.stream().mapToInt(v -> v.runs.get()).toArray();
        c.pause();   // a second stop is a no-op without an event
        for (int i = 0; i < cpus.size(); i++) {
            assertEquals(before[i], cpus.get(i).runs.get(), "vCPU " + i + " ran while paused");
        }
        c.resume();
        assertEquals(RunControl.Status.RUNNING, c.status());
        for (FakeVcpu v : cpus) {
            assertTrue(v.ran.tryAcquire(10, TimeUnit.SECONDS), "a vCPU ran after resume");
        }
        c.pause();   // the running stand-ins spin until kicked: the pause could not return otherwise
        c.finish(RunOutcome.quit());
        for (FakeVcpu v : cpus) {
            v.thread.join();
            assertTrue(v.ended);
        }
        assertEquals(List.of(new RunControl.Event.Stopped(), new RunControl.Event.Resumed(),
                new RunControl.Event.Stopped(), new RunControl.Event.Shutdown(RunOutcome.quit())), events);
    }

    @Test
    void prelaunchHoldsTheVcpusUntilTheFirstResume() throws Exception {
        RunControl c = new RunControl(true);
        List<RunControl.Event> events = new CopyOnWriteArrayList<>();
        c.listen(events::add);
        List<FakeVcpu> cpus = vcpus(c, 2);
        c.pause();   // stop in prelaunch: paused, no event, as QEMU
        assertEquals(RunControl.Status.PAUSED, c.status());
        for (FakeVcpu v : cpus) {
            assertEquals(0, v.runs.get(), "no vCPU ran before cont");
        }
        c.resume();
        for (FakeVcpu v : cpus) {   // a pause right after cont may find them still parked: wait for a run
            assertTrue(v.ran.tryAcquire(10, TimeUnit.SECONDS), "every vCPU ran after cont");
        }
        c.pause();
        assertEquals(List.of(new RunControl.Event.Resumed(), new RunControl.Event.Stopped()), events);
        c.finish(RunOutcome.quit());
    }

    @Test
    void theFirstFinishDecidesTheOutcomeAndReleasesParkedVcpus() throws Exception {
        RunControl c = new RunControl(true);
        List<FakeVcpu> cpus = vcpus(c, 3);
        RunOutcome panic = RunOutcome.failedByGuest("the guest panicked", "guest-panic");
        assertTrue(c.finish(panic));
        assertFalse(c.finish(RunOutcome.terminated()), "a later end does not replace the first");
        assertEquals(panic, c.outcome().getNow(RunOutcome.terminated()));
        for (FakeVcpu v : cpus) {
            v.thread.join();
            assertEquals(0, v.runs.get());
        }
        c.resume();
        c.pause();
        assertEquals(RunControl.Status.SHUTDOWN, c.status(), "nothing brings a finished run back");
        assertTrue(panic.byGuest());
        assertFalse(RunOutcome.quit().byGuest());
        assertEquals("host-qmp-quit", RunOutcome.quit().reason());
    }

    @Test
    void aListenerThatThrowsDoesNotUndoTheChange() throws Exception {
        RunControl c = new RunControl(false);
        List<RunControl.Event> events = new CopyOnWriteArrayList<>();
        c.listen(e -> {
            throw new IllegalStateException("client gone");
        });
        c.listen(events::add);
        c.pause();
        assertEquals(RunControl.Status.PAUSED, c.status());
        assertEquals(List.of(new RunControl.Event.Stopped()), events, "later listeners still hear it");
    }

    @Test
    void aResetEndsTheBootNotTheRunAndTheNextBootStartsAsTheMachineWas() throws Exception {
        RunControl c = new RunControl(false);
        List<RunControl.Event> events = new CopyOnWriteArrayList<>();
        c.listen(events::add);
        List<FakeVcpu> cpus = vcpus(c, 2);
        for (FakeVcpu v : cpus) {
            assertTrue(v.ran.tryAcquire(10, TimeUnit.SECONDS));
        }
        java.util.concurrent.CompletableFuture<RunOutcome> first = c.outcome();
        RunOutcome reset = RunOutcome.guestReset(1);
        assertTrue(c.finish(reset));
        assertFalse(c.finish(RunOutcome.systemReset()), "a second reset before the reboot changes nothing");
        for (FakeVcpu v : cpus) {
            v.kicked = true;   // the runner stops its vCPUs, as it does for any end
            v.thread.join();
        }
        assertEquals(reset, first.getNow(RunOutcome.terminated()));
        assertEquals(RunControl.Status.RUNNING, c.status(), "query-status says running across a reset, as QEMU");
        assertNull(c.ended(), "a reset is not the run's end");
        assertEquals(List.of(new RunControl.Event.Reset(reset)), events);
        c.pause();   // a stop while no vCPU exists: the next boot starts paused
        assertTrue(c.rebooted());
        assertFalse(c.outcome().isDone(), "the new boot has an outcome of its own");
        FakeVcpu next = new FakeVcpu(c);
        c.resume();
        assertTrue(next.ran.tryAcquire(10, TimeUnit.SECONDS), "the next boot's vCPU runs after cont");
        assertTrue(c.finish(RunOutcome.quit()));
        next.kicked = true;
        next.thread.join();
        assertEquals(RunOutcome.quit(), c.ended());
    }

    @Test
    void anEndDuringTheRebootStopsItAndNoRebootMakesAResetTheEnd() {
        RunControl c = new RunControl(false);
        assertTrue(c.finish(RunOutcome.systemReset()));
        assertTrue(c.finish(RunOutcome.terminated()), "SIGTERM while the VM is being rebuilt");
        assertFalse(c.rebooted(), "the runner boots nothing after that");
        assertEquals(RunOutcome.terminated(), c.ended());

        RunControl noReboot = new RunControl(false, false);
        List<RunControl.Event> events = new CopyOnWriteArrayList<>();
        noReboot.listen(events::add);
        assertTrue(noReboot.finish(RunOutcome.guestReset(0)));
        assertEquals(RunControl.Status.SHUTDOWN, noReboot.status());
        assertEquals(RunOutcome.guestReset(0), noReboot.ended());
        assertEquals(List.of(new RunControl.Event.Shutdown(RunOutcome.guestReset(0))), events,
                "-no-reboot: SHUTDOWN with reason guest-reset, as QEMU");
    }
}
