package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class CapabilityListTest {

    @Test
    void unsupportedStandardCapabilityIsUnlinkedAndReadsZero() {
        try (Rig r = new Rig(Devices.nvme())) {
            assertEquals(List.of(CapabilityList.PM, MsixCapability.ID, CapabilityList.EXP), r.standardCapIds());
            assertEquals(0, r.read32(0x60), "the VPD capability is gone");
            r.write32(0x64, 0x1111_1111);
            assertEquals(0, r.read32(0x64));
            assertEquals(0xdeadbeef, r.host.readConfig(0x64, 4), "writes to a hidden capability are dropped");
        }
    }

    @Test
    void hiddenFirstExtendedCapabilityLeavesAnEmptyHeaderPointingOn() {
        try (Rig r = new Rig(Devices.nvme())) {
            assertEquals(List.of(0x0003), r.extendedCapIds());
            assertEquals(0x148 << 20, r.read32(0x100));
            assertEquals(0, r.read32(0x104), "AER body hidden");
            assertEquals(0xcafef00d, r.read32(0x14C), "serial number passed through");
            r.write32(0x14C, 0);
            assertEquals(0xcafef00d, r.read32(0x14C));
        }
    }

    @Test
    void capabilityWithoutHostVectorsIsUnlinked() {
        FakePciHost host = Devices.e1000e();
        host.irqCounts.put(PciIrqIndex.MSI, 0);
        try (Rig r = new Rig(host)) {
            assertEquals(List.of(CapabilityList.PM, CapabilityList.EXP, MsixCapability.ID), r.standardCapIds());
        }
    }

    @Test
    void loopingListEndsAndIsRelinkedOnce() {
        FakePciHost host = Devices.msiMaskable();
        host.config[0x81] = 0x40; // PCIe points back to PM
        try (Rig r = new Rig(host)) {
            assertEquals(List.of(CapabilityList.PM, MsiCapability.ID, CapabilityList.EXP), r.standardCapIds());
        }
    }
}
