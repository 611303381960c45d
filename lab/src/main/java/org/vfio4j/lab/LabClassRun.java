package org.vfio4j.lab;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import org.eclipse.jdt.annotation.Nullable;

/**
 * Build-host side of a {@link LabTest} class: boots one lab host and runs the class there with
 * {@link InLabRunner} in a JVM with this JVM's JDK and class path.
 *
 * <p>Why the class path is expanded: Surefire may start tests with a manifest-only jar in /tmp,
 * which the lab host cannot see (its /tmp is a fresh tmpfs), so its {@code Class-Path} entries
 * are listed instead. Every other entry is an absolute path on the shared, read-only {@code /}.
 */
final class LabClassRun {
    /** Seconds one class may take in the lab, boot included ({@code -Dvfio4j.lab.timeout=SECS}). */
    static final String TIMEOUT_PROPERTY = "vfio4j.lab.timeout";
    /** Extra seconds a batch gets per class beyond the first. */
    private static final long SECONDS_PER_EXTRA_CLASS = 120;

    /**
     * What came back: the outcomes of each class that finished (a crash keeps the classes before it),
     * and the in-lab JVM's status and output, or the lab's failure when the run did not complete.
     */
    record Result(Map<String, List<LabOutcome>> byClass, LabResult jvm, @Nullable LabException failure) {
    }

    private LabClassRun() {
    }

    static String resultsFile(int index) {
        return "results-" + index + ".bin";
    }

    /** Boots one lab host of {@code arch} and runs {@code classNames} there, in order, in one JVM. */
    static Result run(LabArch arch, List<String> classNames) {
        List<String> cmd = new ArrayList<>();
        String classPath = classPath();
        if (arch == LabArch.AARCH64) {
            cmd.add(Arm64Lab.JAVA_HOME + "/bin/java"); // the arm64 root's JRE; the class path is shared
            Arm64Aot.Launch aot = Arm64Aot.launch(classPath);
            cmd.addAll(aot.options());
            classPath = aot.classPath();
        } else {
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        }
        cmd.add("--enable-native-access=ALL-UNNAMED");
        // Under TCG every JIT cycle is emulated: C1 only and the serial GC start fastest.
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:+UseSerialGC");
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("vfio4j.") || name.startsWith("junit.")) {
                cmd.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(InLabRunner.class.getName());
        cmd.add(QemuCommand.GUEST_RUN_DIR);
        cmd.addAll(classNames);
        long secs = Long.getLong(TIMEOUT_PROPERTY, 900) + SECONDS_PER_EXTRA_CLASS * (classNames.size() - 1);
        Lab lab = Lab.of(arch).withTimeout(Duration.ofSeconds(secs));
        if (Boolean.getBoolean("vfio4j.lab.echo")) {
            lab = lab.withEcho(System.out);
        }
        Map<String, List<LabOutcome>> byClass = new LinkedHashMap<>();
        Consumer<Path> harvest = dir -> {
            for (int i = 0; i < classNames.size(); i++) {
                Path f = dir.resolve(resultsFile(i));
                if (Files.isRegularFile(f)) {
                    try (InputStream in = Files.newInputStream(f)) {
                        byClass.put(classNames.get(i), LabOutcome.readAll(in));
                    } catch (IOException e) {
                        throw new LabException("reading the lab's test results " + f + " failed: " + e.getMessage(), e);
                    }
                }
            }
        };
        try {
            return new Result(byClass, lab.run(cmd, harvest), null);
        } catch (LabException e) {
            return new Result(byClass, new LabResult(-1, ""), e);
        }
    }

    /** This JVM's class path with manifest-only jars replaced by their Class-Path entries. */
    static String classPath() {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (e.isEmpty()) {
                continue;
            }
            out.addAll(expand(Path.of(e).toAbsolutePath()));
        }
        return String.join(File.pathSeparator, out);
    }

    private static List<String> expand(Path entry) {
        if (!entry.toString().endsWith(".jar") || !Files.isRegularFile(entry)) {
            return List.of(entry.toString());
        }
        try (JarFile jar = new JarFile(entry.toFile())) {
            Manifest m = jar.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (cp == null || cp.isBlank() || jar.size() > 2) {
                return List.of(entry.toString());
            }
            List<String> list = new ArrayList<>();
            URI base = entry.toUri();
            for (String ref : cp.trim().split("\\s+")) {
                list.add(Path.of(base.resolve(ref)).toString());
            }
            return list;
        } catch (IOException | IllegalArgumentException e) {
            return List.of(entry.toString());
        }
    }
}
