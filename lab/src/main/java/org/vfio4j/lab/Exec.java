package org.vfio4j.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.eclipse.jdt.annotation.Nullable;

/**
 * Runs the host tools {@code lab prepare} relies on (apt-get, apt-cache, dpkg-deb, xz).
 *
 * <p>Why a helper: each call must either succeed or fail with a message naming the command, its
 * status and what it printed, never leave a child behind, and never print a stack trace.
 */
final class Exec {
    private Exec() {
    }

    /** Runs {@code cmd}, returning its stdout; stderr is kept for the error message. */
    static String capture(List<String> cmd) {
        return new String(captureBytes(cmd, null), StandardCharsets.UTF_8);
    }

    /** Runs {@code cmd} in {@code dir} (or the current directory), returning its raw stdout. */
    static byte[] captureBytes(List<String> cmd, @Nullable Path dir) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        Process p = start(pb, cmd);
        try {
            p.getOutputStream().close();
            var err = new java.io.ByteArrayOutputStream();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    p.getErrorStream().transferTo(err);
                } catch (IOException ignored) {
                    // the process is gone; what we have is what it said
                }
            });
            byte[] out = p.getInputStream().readAllBytes();
            int status = p.waitFor();
            t.join();
            if (status != 0) {
                throw new LabException("'" + String.join(" ", cmd) + "' exited with status " + status
                        + describe(err.toString(StandardCharsets.UTF_8)));
            }
            return out;
        } catch (IOException e) {
            throw new LabException("reading the output of '" + String.join(" ", cmd) + "' failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running '" + String.join(" ", cmd) + "'", e);
        } finally {
            p.destroyForcibly();
        }
    }

    /** Runs {@code cmd} with its output shown on this terminal (apt's own progress), in {@code dir}. */
    static void inherit(List<String> cmd, @Nullable Path dir, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.environment().putAll(env);
        Process p = start(pb, cmd);
        try {
            int status = p.waitFor();
            if (status != 0) {
                throw new LabException("'" + String.join(" ", cmd) + "' exited with status " + status
                        + " (its output is above)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running '" + String.join(" ", cmd) + "'", e);
        } finally {
            p.destroyForcibly();
        }
    }

    private static Process start(ProcessBuilder pb, List<String> cmd) {
        try {
            return pb.start();
        } catch (IOException e) {
            throw new LabException("cannot run '" + cmd.get(0) + "' (" + e.getMessage()
                    + "); is its Debian package installed?", e);
        }
    }

    private static String describe(String stderr) {
        String s = stderr.strip();
        return s.isEmpty() ? "" : ":\n" + s;
    }
}
