package org.vfio4j.lab;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.NonNullByDefault;
import org.eclipse.jdt.annotation.Nullable;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The JVM that {@link LabExtension} starts inside the lab host: runs the test classes named on the
 * command line with the JUnit Platform Launcher and writes every outcome to a results file.
 *
 * <p>Why: the build host's JUnit only sees the lab from outside; running the very same class here
 * under the real JUnit engine (same JDK, same class path, / shared) means lifecycle methods,
 * extensions and assertions behave exactly as written. Output printed by each test is captured
 * (and still shown) so a failure on the build host can show what that test printed.
 *
 * <p>Several classes run one after the other in this one JVM (see {@link LabBatch}); each class's
 * outcomes are written as soon as it finishes, so a crash later keeps earlier classes' results, and
 * every default device is given back to its host driver between classes.
 *
 * <p>Usage (by LabExtension only): {@code InLabRunner RESULTS_DIR CLASS...}.
 */
public final class InLabRunner {
    private InLabRunner() {
    }

    /** Entry point inside the lab host. */
    public static void main(String[] args) throws IOException {
        if (args.length < 2 || !Lab.inLab()) {
            System.err.println("InLabRunner runs inside the lab host only, started by LabExtension");
            System.exit(2);
        }
        Capture capture = new Capture(System.out, System.err);
        Launcher launcher = LauncherFactory.create();
        Path dir = Path.of(args[0]);
        for (int i = 1; i < args.length; i++) {
            List<LabOutcome> outcomes = runClass(launcher, args[i], capture);
            System.out.flush();
            System.err.flush();
            Path results = dir.resolve(LabClassRun.resultsFile(i - 1));
            Path tmp = results.resolveSibling(results.getFileName() + ".tmp");
            try (OutputStream o = Files.newOutputStream(tmp)) {
                LabOutcome.writeAll(outcomes, o);
            }
            Files.move(tmp, results, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            if (i + 1 < args.length) {
                resetDevices();
            }
        }
        System.exit(0);
    }

    /** Gives every default device back to its host driver, so the next class starts from the default state. */
    private static void resetDevices() {
        LabHost host = new LabHost();
        for (LabDevice d : LabDevice.values()) {
            try {
                host.bindToHostDriver(d);
            } catch (LabException e) {
                System.err.println("vfio4j lab: resetting " + d + " between test classes failed: " + e.getMessage());
            }
        }
    }

    private static List<LabOutcome> runClass(Launcher launcher, String className, Capture capture) {
        List<LabOutcome> outcomes = new ArrayList<>();
        LauncherDiscoveryRequest req = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(className)).build();
        launcher.execute(req, new TestExecutionListener() {
            @Override
            @NonNullByDefault({})
            public void executionStarted(TestIdentifier id) {
                if (id.isTest()) {
                    capture.start();
                }
            }

            @Override
            @NonNullByDefault({})
            public void executionSkipped(TestIdentifier id, String reason) {
                outcomes.add(LabOutcome.of(id.getUniqueId(), LabOutcome.Status.SKIPPED, null, reason, ""));
            }

            @Override
            @NonNullByDefault({})
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                String out = id.isTest() ? capture.stop() : "";
                Throwable t = result.getThrowable().orElse(null);
                LabOutcome.Status s = switch (result.getStatus()) {
                    case SUCCESSFUL -> LabOutcome.Status.SUCCESSFUL;
                    case ABORTED -> LabOutcome.Status.ABORTED;
                    case FAILED -> LabOutcome.Status.FAILED;
                };
                outcomes.add(LabOutcome.of(id.getUniqueId(), s, t, t == null ? "" : String.valueOf(t.getMessage()), out));
            }
        });
        return outcomes;
    }

    /** Tees System.out and System.err into a per-test buffer while a test runs. */
    private static final class Capture {
        private @Nullable ByteArrayOutputStream current;

        Capture(PrintStream out, PrintStream err) {
            System.setOut(new PrintStream(tee(out), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(tee(err), true, StandardCharsets.UTF_8));
        }

        synchronized void start() {
            current = new ByteArrayOutputStream();
        }

        synchronized String stop() {
            ByteArrayOutputStream c = current;
            current = null;
            return c == null ? "" : c.toString(StandardCharsets.UTF_8);
        }

        private synchronized void copy(byte[] b, int off, int len) {
            ByteArrayOutputStream c = current;
            if (c != null) {
                c.write(b, off, len);
            }
        }

        private OutputStream tee(PrintStream original) {
            return new OutputStream() {
                @Override
                @NonNullByDefault({})
                public void write(int b) {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                @NonNullByDefault({})
                public void write(byte[] b, int off, int len) {
                    original.write(b, off, len);
                    copy(b, off, len);
                }

                @Override
                public void flush() {
                    original.flush();
                }
            };
        }
    }
}
