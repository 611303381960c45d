package org.vfio4j.common.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Small helpers shared by the lab tests. */
final class LabSupport {
    private LabSupport() {
    }

    /**
     * The class path a child JVM needs for the test mains: where vfio-common's classes and its test classes
     * were loaded from (not java.class.path, which under surefire is a manifest-only jar in /tmp).
     */
    static String childClassPath() {
        return String.join(":", List.of(location(org.vfio4j.common.VfioContainer.class), location(Edu.class)));
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot locate the classes of " + c, e);
        }
    }

    /** The java binary of the running JVM. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static boolean exists(String path) {
        return Files.exists(Path.of(path));
    }
}
