package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The guest kernel of the aarch64 lab classes: the lab's own Image, shared at its build-host path. */
final class LabKernel {
    /** Set by the aarch64 lab for the commands it runs. */
    private static final String ENV = "VFIO4J_LAB_KERNEL";

    private LabKernel() {
    }

    /** The Image {@code $VFIO4J_LAB_KERNEL} names; fails the test when it is unset or not a file. */
    static Path image() {
        String k = System.getenv(ENV);
        assertNotNull(k, "$" + ENV + " is not set: this class runs in the aarch64 lab, which sets it");
        Path kernel = Path.of(k);
        assertTrue(Files.isRegularFile(kernel), "$" + ENV + " names " + kernel + ", which is not a file");
        return kernel;
    }
}
