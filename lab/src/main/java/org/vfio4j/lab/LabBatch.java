package org.vfio4j.lab;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.eclipse.jdt.annotation.Nullable;
import org.junit.jupiter.api.Disabled;

/**
 * Runs all {@link LabTest} classes of this test JVM in one lab host, once, and hands each class
 * its outcomes when JUnit gets to it.
 *
 * <p>Why: a lab host boot plus a JVM with JUnit started under TCG cost 10-20 s, per class. So the
 * first {@code @LabTest} class to start finds every top-level {@code @LabTest} class in this JVM's
 * {@code test-classes} directories and runs them all in one lab host and one in-lab JVM (itself
 * last), resetting the default devices to their host drivers between classes. A class the batch
 * did not finish (the lab host crashed or timed out after it started) gets a lab host of its own
 * when its turn comes, so one crashing class never fails another. Nested static classes (fixtures
 * run through EngineTestKit) neither start nor join the batch; they get their own lab host. {@code -Dvfio4j.lab.batch=false} turns batching
 * off (worth it with {@code -Dtest=OneClass}, since the batch cannot see Surefire's filter).
 *
 * <p>State is JVM-wide (static) on purpose: one batch must serve every engine execution in the
 * JVM, including nested ones such as EngineTestKit's, which have their own root contexts.
 */
final class LabBatch {
    static final String BATCH_PROPERTY = "vfio4j.lab.batch";

    /** One class's outcomes by unique id, with the run that produced them. */
    record ClassOutcomes(Map<String, LabOutcome> byId, LabResult jvm) {
    }

    private static final Map<String, ClassOutcomes> DONE = new HashMap<>();
    private static final java.util.Set<LabArch> BATCH_RAN = java.util.EnumSet.noneOf(LabArch.class);

    private LabBatch() {
    }

    /** The outcomes of {@code cls}, running it (and on the first call, the batch) in the lab as needed. */
    static synchronized ClassOutcomes outcomes(Class<?> cls) {
        String name = cls.getName();
        ClassOutcomes done = DONE.remove(name);
        if (done != null) {
            return done;
        }
        // Nested fixture classes (e.g. run through EngineTestKit) neither start nor join a batch.
        LabArch arch = arch(cls);
        if (!BATCH_RAN.contains(arch) && !name.contains("$") && !"false".equals(System.getProperty(BATCH_PROPERTY))) {
            BATCH_RAN.add(arch);
            List<String> batch = new ArrayList<>(discover(cls));
            batch.remove(name);
            if (!batch.isEmpty()) {
                batch.add(name);
                LabClassRun.Result r = LabClassRun.run(arch, batch);
                record(r);
                LabException batchFailure = r.failure();
                if (batchFailure != null) {
                    System.err.println("vfio4j lab: the lab batch " + batch + " did not complete; unfinished classes"
                            + " get a lab host of their own:\n" + batchFailure.getMessage());
                }
                done = DONE.remove(name);
                if (done != null) {
                    return done;
                }
            }
        }
        LabClassRun.Result r = LabClassRun.run(arch, List.of(name));
        LabException failure = r.failure();
        if (failure != null) {
            throw failure;
        }
        record(r);
        done = DONE.remove(name);
        if (done == null) {
            throw new LabException("the JVM in the lab host ended (status " + r.jvm().status()
                    + ") without reporting results for " + name + "\n--- its output (last lines) ---\n"
                    + LabProcess.lastLines(r.jvm().output(), 60));
        }
        return done;
    }

    private static void record(LabClassRun.Result r) {
        for (var e : r.byClass().entrySet()) {
            Map<String, LabOutcome> byId = new HashMap<>();
            for (LabOutcome o : e.getValue()) {
                byId.put(o.uniqueId(), o);
            }
            DONE.put(e.getKey(), new ClassOutcomes(byId, r.jvm()));
        }
    }

    /** The lab host {@code cls} asks for ({@link LabTest#arch()}, inherited), x86_64 without the annotation. */
    static LabArch arch(Class<?> cls) {
        LabTest t = cls.getAnnotation(LabTest.class);
        for (Class<?> c = cls.getEnclosingClass(); t == null && c != null; c = c.getEnclosingClass()) {
            t = c.getAnnotation(LabTest.class); // @Nested classes run with their outer class
        }
        return t == null ? LabArch.X86_64 : t.arch();
    }

    /**
     * Top-level, concrete, enabled {@code @LabTest} classes for the same architecture as
     * {@code requester} in this JVM's test-classes directories, sorted.
     */
    static List<String> discover(Class<?> requester) {
        @Nullable ClassLoader loader = requester.getClassLoader();
        List<String> found = new ArrayList<>();
        for (String entry : LabClassRun.classPath().split(File.pathSeparator)) {
            Path dir = Path.of(entry);
            if (!dir.getFileName().toString().equals("test-classes") || !Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    String rel = dir.relativize(f).toString();
                    String cn = rel.substring(0, rel.length() - ".class".length()).replace(File.separatorChar, '.');
                    if (!cn.contains("$") && !cn.endsWith("package-info") && isLabTest(cn, loader, arch(requester))) {
                        found.add(cn);
                    }
                }
            } catch (IOException e) {
                // an unreadable directory only means no batching for it
            }
        }
        found.sort(null);
        return found;
    }

    private static boolean isLabTest(String className, @Nullable ClassLoader loader, LabArch arch) {
        try {
            Class<?> c = Class.forName(className, false, loader);
            return c.isAnnotationPresent(LabTest.class) && arch(c) == arch && !c.isAnnotationPresent(Disabled.class)
                    && !c.isInterface() && !Modifier.isAbstract(c.getModifiers());
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }
}
