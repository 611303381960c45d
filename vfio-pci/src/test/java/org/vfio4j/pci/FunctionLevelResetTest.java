package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A guest's function level reset (PCI Express Device Control bit 15), or its PM reset (D3hot to D0 without
 * No_Soft_Reset): the device is reset through VFIO and the virtual config space starts again from its reset
 * state, as QEMU does; a device that does not advertise FLR gets nothing but the write.
 */
class FunctionLevelResetTest {
    private static final int DEVCTL = 0x88; // the nvme fake's PCIe capability at 0x80

    @Test
    void initiateFlrResetsTheDeviceAndTheVirtualConfigSpace() {
        try (Rig r = new Rig(Devices.nvme())) {
            r.write32(0x10, 0xFEB0_0000);
            r.write32(0x14, 0);
            r.command(StandardHeader.CMD_MEMORY | StandardHeader.CMD_BUS_MASTER);
            assertEquals(0xFEB0_0000L, r.device.barAddress(0));
            int resets = r.host.resets;

            r.write16(DEVCTL, r.read16(DEVCTL) | 0x8000);

            assertEquals(resets + 2, r.host.resets, "reset through the host (stop and start each reset it)");
            assertEquals(0x4, r.read32(0x10), "BAR 0 back to its reset value: the guest restores it");
            assertEquals(0, r.read16(StandardHeader.COMMAND) & (StandardHeader.CMD_MEMORY | StandardHeader.CMD_BUS_MASTER));
            assertEquals(-1, r.device.barAddress(0), "nothing decodes after the reset");
            assertEquals(0, r.read16(DEVCTL) & 0x8000, "Initiate FLR reads 0");
            assertTrue(r.machine.warnings.stream().anyMatch(w -> w.contains("function level reset")), r.machine.warnings.toString());

            r.write32(0x10, 0xFEB0_0000); // what the guest's PCI core does next
            r.command(StandardHeader.CMD_MEMORY);
            assertEquals(0xFEB0_0000L, r.device.barAddress(0), "the restored BAR decodes again");
        }
    }

    @Test
    void otherDeviceControlWritesAndADeviceWithoutFlrDoNotReset() {
        try (Rig r = new Rig(Devices.nvme())) {
            int resets = r.host.resets;
            r.write16(DEVCTL, 0x2810); // max payload and read request sizes only
            r.write8(DEVCTL, 0x10);    // the low byte alone never holds bit 15
            assertEquals(resets, r.host.resets);
        }
        FakePciHost noFlr = Devices.nvme();
        noFlr.config[0x84 + 3] = 0; // Device Capabilities without FLR capable
        try (Rig r = new Rig(noFlr)) {
            int resets = r.host.resets;
            r.write16(DEVCTL, 0x8000);
            assertEquals(resets, r.host.resets, "no FLR advertised: the bit is dropped, as the device would ignore it");
        }
    }

    @Test
    void aResetTheDeviceDoesNotComeBackFromLeavesItAllOnesUntilItDoes() {
        try (Rig r = new Rig(Devices.nvme())) {
            r.host.configFails = true; // removed or hung: every config access fails
            r.write16(DEVCTL, 0x8000);
            assertEquals(0xFFFF_FFFF, r.read32(0x00), "gone for the guest, and the VMM goes on");
            assertEquals(0xFFFF_FFFF, r.read32(0x10), "its emulated registers too: there is no model to answer");
            r.write32(0x10, 0xFEB0_0000); // dropped
            assertTrue(r.machine.warnings.stream().anyMatch(w -> w.contains("did not come back from the reset")),
                    r.machine.warnings.toString());
            r.host.configFails = false;
            assertEquals(0x0010_1b36, r.read32(0x00), "the next access brings it back");
            assertEquals(0x4, r.read32(0x10), "from its reset state");
        }
    }

    /** The e1000e fake's PM capability at 0xC8 has No_Soft_Reset clear; the nvme fake's has it set. */
    @Test
    void d3hotToD0WithoutNoSoftResetIsAPmResetAndWithItIsNot() {
        int pmcsr = 0xCC;
        try (Rig r = new Rig(Devices.e1000e())) {
            r.write32(0x10, 0xFEB0_0000);
            r.command(StandardHeader.CMD_MEMORY);
            int resets = r.host.resets;
            r.write16(pmcsr, 0x0003);
            assertEquals(resets, r.host.resets, "going to D3hot resets nothing");
            r.write16(pmcsr, 0x0000);
            assertEquals(resets + 2, r.host.resets, "D3hot to D0 without No_Soft_Reset: reset through VFIO");
            assertEquals(0, r.read16(StandardHeader.COMMAND) & StandardHeader.CMD_MEMORY, "virtual state reset too");
            assertTrue(r.machine.warnings.stream().anyMatch(w -> w.contains("a PM reset")), r.machine.warnings.toString());
            r.write16(pmcsr, 0x0000);
            assertEquals(resets + 2, r.host.resets, "D0 to D0 is no transition");
        }
        try (Rig r = new Rig(Devices.nvme())) {
            int resets = r.host.resets;
            r.write16(0x44, 0x0003);
            r.write16(0x44, 0x0000);
            assertEquals(resets, r.host.resets, "No_Soft_Reset set: the device keeps its state");
        }
    }
}
