package org.vfio4j.common.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/**
 * Native's calls through syscall(2) on this host's table: results, the checks on pointer arguments that the linker
 * made for an ADDRESS argument before, and the thread and signal calls the vCPU threads use.
 */
class NativeSyscallTest {
    private static final int SIGUSR2 = 12;

    @Test
    void aCloseOnExecDuplicateSharesTheOpenFileAndOutlivesTheOriginal() throws Exception {
        int efd = Native.eventfd(0, 0);
        int dup = Native.dupCloexec(efd);
        assertTrue(dup >= 3 && dup != efd, "dup: " + dup);
        try (Arena a = Arena.ofConfined()) {
            String flags = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/fdinfo/" + dup)).stream()
                    .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow();
            assertTrue((Integer.parseInt(flags.substring(6).trim(), 8) & Native.O_CLOEXEC) != 0, flags);
            MemorySegment v = a.allocate(JAVA_LONG);
            v.set(JAVA_LONG, 0, 5);
            assertEquals(8, Native.write(efd, v, 8));
            assertEquals(0, Native.close(efd));
            assertEquals(8, Native.read(dup, v, 8), "the counter written through the original is read through the copy");
            assertEquals(5, v.get(JAVA_LONG, 0));
        } finally {
            Native.close(dup);
        }
        assertTrue(Native.dupCloexec(efd) < 0, "a closed fd has nothing to duplicate");
    }

    @Test
    void eventfdReadWriteAndPoll() {
        int efd = Native.eventfd(0, Native.EFD_CLOEXEC);
        assertTrue(efd >= 0, "eventfd: " + efd);
        try (Arena a = Arena.ofConfined()) {
            assertEquals(0, Native.poll(efd, Native.POLLIN, 0), "nothing to read yet: a poll that times out");
            MemorySegment v = a.allocate(JAVA_LONG);
            v.set(JAVA_LONG, 0, 41);
            assertEquals(8, Native.write(efd, v, 8));
            assertEquals(8, Native.write(efd, v, 8));
            assertEquals(Native.POLLIN, Native.poll(efd, Native.POLLIN, -1) & Native.POLLIN);
            MemorySegment fds = a.allocate(16, 4);
            fds.set(JAVA_INT, 0, efd);
            fds.set(JAVA_SHORT, 4, Native.POLLIN);
            fds.set(JAVA_INT, 8, -1);   // ignored by poll
            assertEquals(1, Native.poll(fds, 2, 1000));
            MemorySegment r = a.allocate(JAVA_LONG);
            assertEquals(8, Native.read(efd, r, 8));
            assertEquals(82, r.get(JAVA_LONG, 0), "the counter adds both writes");
        } finally {
            assertEquals(0, Native.close(efd));
        }
    }

    @Test
    void pointerArgumentsAreCheckedBeforeTheCall() {
        int efd = Native.eventfd(0, Native.EFD_CLOEXEC);
        try {
            assertThrows(IllegalArgumentException.class, () -> Native.write(efd, MemorySegment.ofArray(new long[1]), 8),
                    "a heap segment has no address the kernel can use");
            MemorySegment closed;
            try (Arena a = Arena.ofConfined()) {
                closed = a.allocate(8);
            }
            assertThrows(IllegalStateException.class, () -> Native.write(efd, closed, 8));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment small = a.allocate(4);
                assertThrows(IndexOutOfBoundsException.class, () -> Native.read(efd, small, 8),
                        "the kernel would write past the segment");
                MemorySegment mine = a.allocate(8);
                CompletableFuture<Throwable> other = new CompletableFuture<>();
                Thread.ofPlatform().start(() -> {
                    try {
                        Native.write(efd, mine, 8);
                        other.complete(new AssertionError("no exception"));
                    } catch (Throwable t) {
                        other.complete(t);
                    }
                });
                assertEquals(WrongThreadException.class, other.join().getClass());
            }
        } finally {
            Native.close(efd);
        }
    }

    @Test
    void threadIdsSignalMasksAndTgkill() throws Exception {
        int mine = Native.gettid();
        AtomicReference<long[]> seen = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment set = a.allocate(8, 8);
                MemorySegment old = a.allocate(8, 8);
                set.set(JAVA_LONG, 0, 1L << (SIGUSR2 - 1));
                int blocked = Native.sigprocmask(Native.SIG_BLOCK, set, old);
                // with SIGUSR2 blocked in this thread only, a signal sent to it stays pending and harms nobody
                int kill = Native.tgkill(Native.gettid(), SIGUSR2);
                MemorySegment now = a.allocate(8, 8);
                int read = Native.sigprocmask(Native.SIG_BLOCK, MemorySegment.NULL, now);
                seen.set(new long[] {Native.gettid(), blocked, kill, read, now.get(JAVA_LONG, 0), old.get(JAVA_LONG, 0)});
            }
        });
        t.join();
        long[] r = seen.get();
        assertNotEquals(mine, r[0], "each thread has its own kernel id");
        assertEquals(0, r[1]);
        assertEquals(0, r[2]);
        assertEquals(0, r[3]);
        assertEquals(1L << (SIGUSR2 - 1), r[4] & (1L << (SIGUSR2 - 1)), "the mask read back holds SIGUSR2");
        assertEquals(0, r[5] & (1L << (SIGUSR2 - 1)), "it was not blocked before");
        assertEquals(-Errno.ESRCH, Native.tgkill(Integer.MAX_VALUE - 1, 0), "no such thread");
        assertEquals(0, Native.tgkill(mine, 0), "signal 0 only checks the thread exists");
    }

    @Test
    void anonymousMappingRoundTrip() {
        long addr = Native.mmap(8192, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS,
                -1, 0);
        assertTrue(!Native.failed(addr) && addr % 4096 == 0, "mmap: " + addr);
        MemorySegment m = MemorySegment.ofAddress(addr).reinterpret(8192);
        m.set(JAVA_LONG, 4096, 0x1234_5678_9abcL);
        assertEquals(0x1234_5678_9abcL, m.get(JAVA_LONG, 4096));
        assertEquals(0, Native.munmap(addr, 8192));
    }
}
