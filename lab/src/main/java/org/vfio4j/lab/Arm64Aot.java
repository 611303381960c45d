package org.vfio4j.lab;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * JDK 25 AOT cache for the in-lab JVM of the aarch64 lab.
 *
 * <p>Why: under TCG every instruction of class loading and linking is emulated, so JVM start-up is
 * the aarch64 lab's bottleneck. The first run of a class path records an AOT cache
 * ({@code -XX:AOTCacheOutput}, JEP 514: training run and cache creation in one command) into the
 * writable AOT directory the lab host sees at the same path ({@link Arm64Lab#aotDir()}); later runs
 * with the same class path load classes pre-parsed and pre-linked from it ({@code -XX:AOTCache}).
 *
 * <p>The JVM refuses to create an AOT cache when the class path has a non-empty directory
 * ("Cannot have non-empty directory in paths"), and Maven's class path has {@code target/classes}
 * and {@code target/test-classes}. So each directory is packed into a jar named by the hash of its
 * contents in {@code aot/jars/} (same content, same jar, same class path: the cache stays valid
 * until the code changes). The cache key is the resulting class path's hash; the JVM itself also
 * checks the jars. {@code -Dvfio4j.lab.aot=false} turns it all off.
 */
final class Arm64Aot {
    static final String PROPERTY = "vfio4j.lab.aot";

    /** JVM options and the class path to use with them. */
    record Launch(List<String> options, String classPath) {
    }

    private Arm64Aot() {
    }

    /** Options for a run with {@code classPath}: use the cache if present, else record it. */
    static Launch launch(String classPath) {
        if ("false".equals(System.getProperty(PROPERTY))) {
            return new Launch(List.of(), classPath);
        }
        List<String> entries = new ArrayList<>();
        for (String e : classPath.split(File.pathSeparator)) {
            Path p = Path.of(e);
            entries.add(Files.isDirectory(p) ? jarOf(p).toString() : e);
        }
        String cp = String.join(File.pathSeparator, entries);
        Path file = Arm64Lab.aotDir().resolve("runner-" + Sha256.of(cp.getBytes(StandardCharsets.UTF_8))
                .substring(0, 16) + ".aot");
        String opt = Files.isRegularFile(file) ? "-XX:AOTCache=" : "-XX:AOTCacheOutput=";
        // -Xlog off: a missing or stale cache only costs time, never the test's output
        return new Launch(List.of(opt + file, "-Xlog:aot=off", "-Xlog:cds=off"), cp);
    }

    /** {@code aot/jars/<name>-<content hash>.jar} with the files of {@code dir}, made once. */
    private static Path jarOf(Path dir) {
        try {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(dir)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            Sha256 md = new Sha256();
            for (Path f : files) {
                md.update(dir.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                md.update(Files.readAllBytes(f));
            }
            String name = dir.getParent() == null ? "dir" : dir.getParent().getParent() == null ? "dir"
                    : dir.getParent().getParent().getFileName() + "-" + dir.getFileName();
            Path jar = Arm64Lab.aotDir().resolve("jars").resolve(name + "-"
                    + md.hex().substring(0, 16) + ".jar");
            if (Files.isRegularFile(jar)) {
                return jar;
            }
            Files.createDirectories(jar.getParent());
            Path tmp = Files.createTempFile(jar.getParent(), "jar.", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream j = new JarOutputStream(out)) {
                for (Path f : files) {
                    JarEntry e = new JarEntry(dir.relativize(f).toString().replace(File.separatorChar, '/'));
                    e.setTime(0);
                    j.putNextEntry(e);
                    j.write(Files.readAllBytes(f));
                    j.closeEntry();
                }
            }
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return jar;
        } catch (IOException e) {
            throw new LabException("packing " + dir + " into a jar for the AOT cache failed: " + e.getMessage()
                    + "; run with -D" + PROPERTY + "=false to skip the AOT cache", e);
        }
    }
}
