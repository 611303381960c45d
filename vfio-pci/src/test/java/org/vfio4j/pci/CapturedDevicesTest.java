package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The model over the config spaces captured from the lab's real nvme and e1000e. */
class CapturedDevicesTest {

    @Test
    void nvmeAsTheLabKernelSeesIt() {
        try (Rig r = new Rig(Captured.device("nvme"))) {
            assertEquals(0x0010_1b36, r.read32(0));
            assertEquals(List.of(MsixCapability.ID, CapabilityList.EXP, CapabilityList.PM), r.standardCapIds());
            assertEquals(0x4, r.read32(0x10), "the host's BAR address is not shown");
            r.write32(0x10, -1);
            r.write32(0x14, -1);
            assertEquals(0xFFFF_C004, r.read32(0x10), "16 KiB 64-bit BAR");
            assertEquals(0x0040, r.read16(0x42), "MSI-X disabled for the guest although the host driver had enabled it");
            r.write32(0x10, 0xFEB0_0000);
            r.write32(0x14, 0);
            r.command(StandardHeader.CMD_MEMORY);
            assertEquals(0x2000, r.machine.directBytes(), "MSI-X table at 0x2000 and PBA at 0x3000 trap");
        }
    }

    @Test
    void e1000eAsTheLabKernelSeesIt() {
        try (Rig r = new Rig(Captured.device("e1000e"))) {
            assertEquals(List.of(CapabilityList.PM, MsiCapability.ID, CapabilityList.EXP, MsixCapability.ID),
                    r.standardCapIds());
            assertEquals(List.of(0x0003), r.extendedCapIds(), "AER hidden, device serial number kept");
            assertEquals(0x140 << 20, r.read32(0x100), "empty header at 0x100 pointing on to the serial number");
            int[] expected = {0xFFFE_0000, 0xFFFE_0000, 0xFFFF_FFE1, 0xFFFF_C000, 0, 0};
            for (int bar = 0; bar < 6; bar++) {
                r.write32(0x10 + 4 * bar, -1);
                assertEquals(expected[bar], r.read32(0x10 + 4 * bar), "BAR" + bar);
            }
            r.write32(RomBar.REGISTER, -1);
            assertEquals(0xFFFC_0001, r.read32(RomBar.REGISTER), "256 KiB ROM");
            assertTrue(r.host.configWrites.stream().noneMatch(o -> o >= 0x10 && o < 0x28 || o == RomBar.REGISTER));
        }
    }

    @Test
    void randomWritesOnTheCapturedDevices() {
        RandomConfigWriteTest.run(() -> Captured.device("nvme"), 11);
        RandomConfigWriteTest.run(() -> Captured.device("e1000e"), 12);
    }
}
