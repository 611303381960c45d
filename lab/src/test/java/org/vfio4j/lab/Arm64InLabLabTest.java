package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A {@link LabTest} class whose body runs in the aarch64 lab host, on the arm64 JRE. */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class Arm64InLabLabTest {
    @Test
    void runsOnTheArm64JreInTheAarch64LabHost() {
        assertEquals("aarch64", System.getProperty("os.arch"));
        assertEquals("aarch64", System.getenv(Lab.ENV));
        assertTrue(System.getProperty("java.home").startsWith(Arm64Lab.JAVA_HOME), System.getProperty("java.home"));
        assertTrue(Files.exists(Path.of("/dev/kvm")), "/dev/kvm missing");
    }

    @Test
    void nvmeMovesToVfioPciBehindTheSmmuAndBack(LabHost host) {
        assertEquals("nvme", host.driver(LabDevice.NVME));
        String group = host.bindToVfio(LabDevice.NVME);
        assertEquals("vfio-pci", host.driver(LabDevice.NVME));
        assertTrue(Files.exists(Path.of("/dev/vfio", group)));
        host.bindToHostDriver(LabDevice.NVME);
        assertEquals("nvme", host.driver(LabDevice.NVME));
    }
}
