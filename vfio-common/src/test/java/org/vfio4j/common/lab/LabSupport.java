package org.vfio4j.common.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Small helpers shared by the lab tests. */
final class LabSupport {
    private LabSupport() {
    }

    /** The class path a child JVM needs for the test mains: vfio-common's classes and test classes only. */
    static String childClassPath() {
        String cp = System.getProperty("java.class.path");
        return String.join(":", List.of(cp.split(":")).stream()
                .filter(e -> e.contains("vfio-common/target/classes") || e.contains("vfio-common/target/test-classes"))
                .toList());
    }

    /** The java binary of the running JVM. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static boolean exists(String path) {
        return Files.exists(Path.of(path));
    }
}
