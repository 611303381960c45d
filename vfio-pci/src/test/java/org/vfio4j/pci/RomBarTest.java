package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RomBarTest {

    @Test
    void romSizesEnablesAndReads() {
        try (Rig r = new Rig(Devices.e1000e())) {
            r.write32(RomBar.REGISTER, 0xFFFF_FFFF);
            assertEquals(0xFFFC_0001, r.read32(RomBar.REGISTER), "256 KiB, enable bit writable");
            r.write32(RomBar.REGISTER, 0xFE00_0001);
            assertEquals(-1, r.device.romAddress(), "memory decode still off");
            r.command(StandardHeader.CMD_MEMORY);
            assertEquals(0xFE00_0000L, r.device.romAddress());
            assertEquals(0xAA55, r.machine.read(BarSpace.MEMORY, 0xFE00_0000L, 2));
            assertEquals(0x80, r.machine.read(BarSpace.MEMORY, 0xFE00_0002L, 1));
            r.machine.write(BarSpace.MEMORY, 0xFE00_0000L, 2, 0);
            assertEquals(0xAA55, r.machine.read(BarSpace.MEMORY, 0xFE00_0000L, 2), "ROM is read-only");
            r.write32(RomBar.REGISTER, 0xFE00_0000);
            assertEquals(-1, r.device.romAddress(), "enable bit cleared");
            assertEquals(0, r.host.readConfig(RomBar.REGISTER, 4), "the device's ROM BAR is never written");
        }
    }

    @Test
    void rombarZeroHidesIt() {
        try (Rig r = new Rig(Devices.e1000e(), "vfio-pci,host=0000:00:04.0,rombar=0", true)) {
            r.write32(RomBar.REGISTER, 0xFFFF_FFFF);
            assertEquals(0, r.read32(RomBar.REGISTER));
        }
    }

    @Test
    void romWithoutSignatureIsHidden() {
        FakePciHost host = Devices.e1000e();
        host.regions.get(RomBar.REGION).write(0, 2, 0xFFFF);
        try (Rig r = new Rig(host)) {
            r.write32(RomBar.REGISTER, 0xFFFF_FFFF);
            assertEquals(0, r.read32(RomBar.REGISTER));
        }
    }
}
