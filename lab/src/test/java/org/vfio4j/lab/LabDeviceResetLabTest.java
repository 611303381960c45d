package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every @LabTest class starts with the default devices on their host drivers, even when classes
 * share a lab host ({@link LabBatch}) and an earlier class left devices on vfio-pci, as this one does.
 */
@LabTest
class LabDeviceResetLabTest {
    @BeforeAll
    static void devicesStartOnTheirHostDrivers(LabHost host) {
        for (LabDevice d : LabDevice.values()) {
            assertEquals(d.hostDriver(), host.driver(d), d + " did not start on its host driver");
        }
    }

    @Test
    void leavesTheEdusOnVfioPci(LabHost host) {
        host.bindToVfio(LabDevice.EDU);
        host.bindToVfio(LabDevice.BRIDGE_EDU);
        assertEquals("vfio-pci", host.driver(LabDevice.EDU));
        assertEquals("vfio-pci", host.driver(LabDevice.BRIDGE_EDU));
    }
}
