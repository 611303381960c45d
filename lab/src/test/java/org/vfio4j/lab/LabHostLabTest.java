package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link LabHost} inside the lab host, through {@link LabTest}: rebinding devices between drivers. */
@LabTest
class LabHostLabTest {
    @Test
    void runsInsideTheLabHostWithVfioAndKvm(LabHost host) {
        assertTrue(Lab.inLab());
        assertTrue(Files.exists(Path.of("/dev/vfio/vfio")), "/dev/vfio/vfio missing");
        assertTrue(Files.exists(Path.of("/dev/kvm")), "/dev/kvm missing: kvm-amd not loaded");
        LabResult cmdline = host.sh("cat /proc/cmdline");
        assertTrue(cmdline.output().contains("intel_iommu=on"), cmdline.output());
    }

    @Test
    void nvmeMovesToVfioPciAndBack(LabHost host) {
        assertEquals("nvme", host.driver(LabDevice.NVME));
        String group = host.bindToVfio(LabDevice.NVME);
        assertEquals("vfio-pci", host.driver(LabDevice.NVME));
        assertEquals(host.iommuGroup(LabDevice.NVME), group);
        assertTrue(Files.exists(Path.of("/dev/vfio", group)));
        host.bindToHostDriver(LabDevice.NVME);
        assertEquals("nvme", host.driver(LabDevice.NVME));
        LabResult serial = host.sh("cat /sys/bus/pci/devices/" + LabDevice.NVME.bdf() + "/nvme/nvme*/serial");
        assertEquals(LabDevice.NVME_SERIAL, serial.output().strip(), serial.output());
    }

    @Test
    void bridgeDevicesShareAGroupEduHasItsOwn(LabHost host) {
        assertEquals(host.iommuGroup(LabDevice.BRIDGE_E1000), host.iommuGroup(LabDevice.BRIDGE_EDU));
        assertNotEquals(host.iommuGroup(LabDevice.EDU), host.iommuGroup(LabDevice.BRIDGE_EDU));
        String group = host.bindToVfio(LabDevice.BRIDGE_EDU);
        assertEquals(group, host.bindToVfio(LabDevice.BRIDGE_E1000));
        host.bindToHostDriver(LabDevice.BRIDGE_E1000);
        host.bindToHostDriver(LabDevice.BRIDGE_EDU);
        assertEquals("e1000", host.driver(LabDevice.BRIDGE_E1000));
        assertEquals("", host.driver(LabDevice.BRIDGE_EDU));
    }

    @ParameterizedTest
    @EnumSource(LabDevice.class)
    void everyDeviceHasAGroupAndItsHostDriver(LabDevice d, LabHost host) {
        assertTrue(host.iommuGroup(d).matches("[0-9]+"), d.toString());
        assertEquals(d.hostDriver(), host.driver(d), d.toString());
    }
}
