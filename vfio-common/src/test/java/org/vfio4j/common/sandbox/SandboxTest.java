package org.vfio4j.common.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The sandbox on this host's real kernel, in a child JVM (a filter lasts as long as its process): a whole JVM
 * keeps running under the allowlist, starts threads and reads files, and a process it tries to start is stopped
 * with the call named, or let through and reported once in LOG mode.
 */
class SandboxTest {
    private static String probe(String mode) throws Exception {
        String cp = Path.of(Sandbox.class.getProtectionDomain().getCodeSource().getLocation().toURI()) + ":"
                + Path.of(SandboxProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp", cp, SandboxProbe.class.getName(), mode)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void aSandboxedJvmRunsOnAndAProcessItStartsIsStoppedWithTheCallNamed() throws Exception {
        String out = probe("ENFORCE");
        assertTrue(out.contains("installed ENFORCE") && out.contains("a new thread runs"), out);
        assertTrue(out.contains("NoNewPrivs: 1") && out.contains("Seccomp: 2"), out);
        assertTrue(out.contains("start refused"), out);
        List<String> denied = out.lines().filter(l -> l.startsWith("denied ")).toList();
        assertTrue(!denied.isEmpty() && denied.get(0).startsWith("denied clone: clone (first argument 0x"), out);
        assertEquals(1, denied.size(), "the JVM itself made a call off the list:\n" + out);
        assertTrue(out.contains("reported"), out);
    }

    @Test
    void inLogModeTheCallRunsAndIsReportedOnce() throws Exception {
        String out = probe("LOG");
        assertTrue(out.contains("started a process, status 0"), out);
        assertEquals(1, out.lines().filter(l -> l.startsWith("denied clone:")).count(), out);
    }
}
