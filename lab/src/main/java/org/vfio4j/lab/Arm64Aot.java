package org.vfio4j.lab;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * JDK 25 AOT cache options for the in-lab JVM of the aarch64 lab.
 *
 * <p>Why: under TCG every instruction of class loading and linking is emulated, so JVM start-up is
 * the aarch64 lab's bottleneck. The first run of a class path records an AOT cache
 * ({@code -XX:AOTCacheOutput}, JEP 514: training run and cache creation in one command) into the
 * writable AOT directory the lab host sees at the same path ({@link Arm64Lab#aotDir()}); later runs
 * with the same class path load classes pre-parsed and pre-linked from it ({@code -XX:AOTCache}).
 * The key is the class path's hash: the JVM itself refuses (with a warning, then runs without) a
 * cache whose jars changed. {@code -Dvfio4j.lab.aot=false} turns it off.
 */
final class Arm64Aot {
    static final String PROPERTY = "vfio4j.lab.aot";

    private Arm64Aot() {
    }

    /** The JVM options for a run with {@code classPath}: use the cache if present, else record it. */
    static List<String> options(String classPath) {
        if ("false".equals(System.getProperty(PROPERTY))) {
            return List.of();
        }
        Path file = cacheFile(classPath);
        return Files.isRegularFile(file) ? List.of("-XX:AOTCache=" + file, "-Xlog:aot=off", "-Xlog:cds=off")
                : List.of("-XX:AOTCacheOutput=" + file, "-Xlog:aot=off", "-Xlog:cds=off");
    }

    static Path cacheFile(String classPath) {
        return Arm64Lab.aotDir().resolve("runner-" + Arm64Prepare.hash(classPath.getBytes(StandardCharsets.UTF_8))
                .substring(0, 16) + ".aot");
    }
}
