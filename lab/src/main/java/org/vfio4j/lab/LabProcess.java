package org.vfio4j.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.eclipse.jdt.annotation.Nullable;

/**
 * One QEMU process of a lab run, from start to a guaranteed end.
 *
 * <p>Why a class of its own: tearing QEMU down on every path (normal power-off, timeout, an
 * exception, Ctrl-C or SIGTERM of the JVM via a shutdown hook, the JVM killed outright via
 * {@code setpriv --pdeathsig}) is the part of the lab that must not be gotten wrong, so it lives
 * in one place. The QEMU process is started by, and waited for on, the calling thread, which is
 * what pdeathsig tracks.
 */
final class LabProcess {
    private static final int CONSOLE_TAIL_LINES = 40;
    private static final int BOOT_FAILURE_CONSOLE_LINES = 150;

    private final List<String> command;
    private final Path runDir;
    private final Duration timeout;
    private final @Nullable OutputStream echo;

    LabProcess(List<String> command, Path runDir, Duration timeout, @Nullable OutputStream echo) {
        this.command = command;
        this.runDir = runDir;
        this.timeout = timeout;
        this.echo = echo;
    }

    /** Runs QEMU to completion and returns the command's status and output. */
    LabResult run(String what) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        ByteArrayOutputStream qemuErr = new ByteArrayOutputStream();
        Process qemu;
        try {
            qemu = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new LabException("cannot start QEMU (" + e.getMessage()
                    + "); run './vfio4j lab prepare' to install qemu-system-x86", e);
        }
        // On Ctrl-C/SIGTERM the JVM may halt before run()'s callers reach their finally blocks.
        java.util.concurrent.atomic.AtomicBoolean signalled = new java.util.concurrent.atomic.AtomicBoolean();
        Thread hook = new Thread(() -> {
            signalled.set(true);
            stop(qemu);
            try {
                LabPrepare.deleteTree(runDir);
            } catch (IOException e) {
                System.err.println("vfio4j lab: could not delete " + runDir + ": " + e.getMessage());
            }
        }, "vfio4j-lab-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            // QEMU's stdin stays open (never written): EOF there would disconnect the output port.
            Thread out = pump(qemu.getInputStream(), output, echo);
            Thread err = pump(qemu.getErrorStream(), qemuErr, null);
            boolean exited = qemu.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                stop(qemu);
                out.join(2000);
                throw new LabException("lab run: '" + what + "' did not finish within " + timeout.toSeconds()
                        + " s (--timeout); the lab host was stopped." + tail("its output so far", output)
                        + consoleTail());
            }
            out.join();
            err.join();
            if (signalled.get()) {
                throw new LabException("lab run: the JVM is shutting down (Ctrl-C or SIGTERM); the lab host was stopped");
            }
            String text = output.toString(StandardCharsets.UTF_8);
            Path status = runDir.resolve("status");
            if (!Files.isRegularFile(status)) {
                String qe = qemuErr.toString(StandardCharsets.UTF_8).strip();
                if (qemu.exitValue() != 0) {
                    throw new LabException("lab run: QEMU exited with status " + qemu.exitValue()
                            + (qe.isEmpty() ? "" : ":\n" + qe) + tail("command output", output) + consoleTail());
                }
                if (!Files.exists(runDir.resolve("started"))) {
                    throw new LabException.BootFailure("lab run: the lab host went down while booting, before '" + what
                            + "' started" + tail("init output", output) + consoleTail(BOOT_FAILURE_CONSOLE_LINES));
                }
                throw new LabException("lab run: the lab host powered off before '" + what
                        + "' finished (kernel crash, or the command powered it off)" + tail("command output", output)
                        + consoleTail());
            }
            String s = Files.readString(status, StandardCharsets.UTF_8).strip();
            try {
                return new LabResult(Integer.parseInt(s), text);
            } catch (NumberFormatException e) {
                throw new LabException("lab run: the lab host recorded an unreadable status '" + s + "'", e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("lab run: interrupted; the lab host was stopped", e);
        } catch (IOException e) {
            throw new LabException("lab run: reading the run directory " + runDir + " failed: " + e.getMessage(), e);
        } finally {
            stop(qemu);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run; it stops the same process
            }
        }
    }

    /** SIGTERM, then SIGKILL after 5 s; returns once QEMU is gone. */
    private static void stop(Process qemu) {
        if (!qemu.isAlive()) {
            return;
        }
        qemu.destroy();
        try {
            if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
                qemu.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            qemu.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream sink, @Nullable OutputStream echo) {
        return Thread.ofPlatform().daemon().name("vfio4j-lab-output").start(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (sink) {
                        sink.write(buf, 0, n);
                    }
                    if (echo != null) {
                        echo.write(buf, 0, n);
                        echo.flush();
                    }
                }
            } catch (IOException ignored) {
                // QEMU closed its end: the run is over
            }
        });
    }

    private static String tail(String label, ByteArrayOutputStream out) {
        String s;
        synchronized (out) {
            s = out.toString(StandardCharsets.UTF_8);
        }
        return s.isBlank() ? "" : "\n--- " + label + " (last lines) ---\n" + lastLines(s, CONSOLE_TAIL_LINES);
    }

    private String consoleTail() {
        return consoleTail(CONSOLE_TAIL_LINES);
    }

    private String consoleTail(int lines) {
        try {
            Path log = runDir.resolve("console.log");
            String s = Files.isRegularFile(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
            return s.isBlank() ? "" : "\n--- lab host kernel console (last lines) ---\n" + lastLines(s, lines);
        } catch (IOException e) {
            return "\n(kernel console log unreadable: " + e.getMessage() + ")";
        }
    }

    static String lastLines(String s, int n) {
        String[] lines = s.strip().split("\r?\n");
        int from = Math.max(0, lines.length - n);
        return String.join("\n", java.util.Arrays.asList(lines).subList(from, lines.length));
    }
}
