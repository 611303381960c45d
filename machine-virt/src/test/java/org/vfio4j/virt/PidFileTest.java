package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code -pidfile}: the id while the VMM runs, a live holder refused, a dead one's file taken over, links refused. */
class PidFileTest {
    @TempDir
    Path dir = Path.of("/nonexistent");

    @Test
    void holdsThisProcessesIdUntilClosedAndThenIsGone() throws Exception {
        Path p = dir.resolve("vm.pid");
        try (PidFile pid = PidFile.claim(p)) {
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(p));
            String again = assertThrows(UsageException.class, () -> PidFile.claim(p)).getMessage();
            assertTrue(again.contains("is locked by a running process"), again);
            assertEquals(p.toAbsolutePath(), pid.path());
        }
        assertFalse(Files.exists(p), "removed at exit");
    }

    @Test
    void anotherProcessesLockIsSeenAndItsLeftoverTakenOver() throws Exception {
        Path p = Files.writeString(dir.resolve("vm.pid"), "999999999 and more text than a pid\n");
        // flock(1) would do, but a JVM is what is certainly here: it locks the file and waits for stdin.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path holder = Files.writeString(dir.resolve("Hold.java"), """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                class Hold { public static void main(String[] a) throws Exception {
                    try (var ch = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE); var l = ch.lock()) {
                        System.out.println("locked"); System.out.flush(); System.in.read(); } } }
                """);
        Process h = new ProcessBuilder(java, holder.toString(), p.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertEquals("locked", new String(h.getInputStream().readNBytes(6)));
            String busy = assertThrows(UsageException.class, () -> PidFile.claim(p)).getMessage();
            assertTrue(busy.contains("another VMM uses it"), busy);
            h.getOutputStream().close();
            assertTrue(h.waitFor(60, TimeUnit.SECONDS));
        } finally {
            h.destroyForcibly();
        }
        try (PidFile pid = PidFile.claim(p)) {
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(p), "old contents truncated");
        }
    }

    @Test
    void aSymbolicLinkIsRefusedAndItsTargetLeftAlone() throws Exception {
        Path target = Files.writeString(dir.resolve("precious"), "keep");
        Path link = Files.createSymbolicLink(dir.resolve("vm.pid"), target);
        String msg = assertThrows(UsageException.class, () -> PidFile.claim(link)).getMessage();
        assertTrue(msg.contains("is a symbolic link"), msg);
        assertEquals("keep", Files.readString(target));
    }

    @Test
    void anUnwritableDirectoryIsNamed() {
        String msg = assertThrows(UsageException.class, () -> PidFile.claim(dir.resolve("no/such/dir/vm.pid")))
                .getMessage();
        assertTrue(msg.contains("cannot be written") && msg.contains("no/such/dir/vm.pid"), msg);
    }
}
