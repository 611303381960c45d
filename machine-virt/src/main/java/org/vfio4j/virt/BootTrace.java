package org.vfio4j.virt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Start-up timestamps for profiling the boot path: with {@code VFIO4J_BOOT_TRACE=1} in the environment each
 * {@link #mark} prints {@code virt-trace: <phase> <uptime>} on stderr, where uptime is the first field of
 * {@code /proc/uptime} — the clock {@code machine-virt/bench/boot-compare.sh} times the boot with, so a phase's
 * time since the launcher started is a subtraction.
 *
 * <p>Why an environment switch and not a logger: off, it costs one boolean test; on, it loads no logging
 * framework that would itself change the start-up being measured.
 */
public final class BootTrace {
    private static final boolean ON = "1".equals(System.getenv("VFIO4J_BOOT_TRACE"));

    private BootTrace() {
    }

    /** Whether tracing is on. */
    public static boolean on() {
        return ON;
    }

    /** Prints {@code phase} with the host's uptime, if tracing is on. */
    public static void mark(String phase) {
        if (ON) {
            String up;
            try {
                String s = Files.readString(Path.of("/proc/uptime"));
                int sp = s.indexOf(' ');
                up = sp < 0 ? s.strip() : s.substring(0, sp);
            } catch (IOException e) {
                up = "?";
            }
            System.err.println("virt-trace: " + phase + " " + up);
        }
    }
}
