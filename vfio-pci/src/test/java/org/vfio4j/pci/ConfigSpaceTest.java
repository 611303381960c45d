package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConfigSpaceTest {

    @Test
    void identityComesFromTheDeviceAndResistsWrites() {
        try (Rig r = new Rig(Devices.nvme())) {
            assertEquals(0x0010_1b36, r.read32(0));
            for (int off : new int[] {0x00, 0x08, 0x0C, 0x2C}) {
                r.write32(off, 0xFFFF_FFFF);
            }
            r.write8(0x0F, 0x40); // BIST start
            assertEquals(0x0010_1b36, r.read32(0));
            assertEquals(0x0108_0202, r.read32(0x08));
            assertEquals(0x1100_1af4, r.read32(0x2C));
            assertEquals(0, r.read8(0x0E));
            assertEquals(0, r.host.readConfig(0x0F, 1), "BIST must not reach the device");
            assertEquals(0x0010_1b36, r.host.readConfig(0, 4));
        }
    }

    @Test
    void cacheLineAndLatencyAreEmulatedWithoutTouchingTheDevice() {
        try (Rig r = new Rig(Devices.nvme())) {
            r.write8(0x0C, 0x10);
            r.write8(0x0D, 0x40);
            assertEquals(0x4010, r.read16(0x0C));
            assertEquals(0, r.host.readConfig(0x0C, 2));
        }
    }

    @Test
    void commandEnablesReachTheDeviceButOtherBitsDoNot() {
        try (Rig r = new Rig(Devices.nvme())) {
            r.write16(StandardHeader.COMMAND, 0xFFFF);
            int expected = StandardHeader.CMD_WRITABLE;
            assertEquals(expected, r.host.readConfig(StandardHeader.COMMAND, 2));
            assertEquals(expected, r.read16(StandardHeader.COMMAND));
            r.write16(StandardHeader.COMMAND, 0);
            assertEquals(0, r.host.readConfig(StandardHeader.COMMAND, 2));
        }
    }

    @Test
    void statusErrorBitsClearOnlyWhenTheGuestWritesOne() {
        FakePciHost host = Devices.nvme();
        try (Rig r = new Rig(host)) {
            host.config[0x07] = (byte) 0xF9; // all error bits set by the "device"
            r.write16(StandardHeader.COMMAND, StandardHeader.CMD_MEMORY); // a command write must not clear them
            assertEquals(0xF910, host.readConfig(StandardHeader.STATUS, 2));
            r.write16(StandardHeader.STATUS, 0x1000 | 0x10); // clear just "received target abort"
            // The fake is plain memory, so this is the value written: only the guest's 1 among the RW1C bits.
            assertEquals(0x1010, host.readConfig(StandardHeader.STATUS, 2));
            assertTrue((r.read16(StandardHeader.STATUS) & 0x10) != 0, "capability list bit stays");
        }
    }

    @Test
    void interruptPinIsTheModelsAndLineTheGuests() {
        try (Rig r = new Rig(Devices.nvme())) {
            assertEquals(1, r.read8(StandardHeader.INTERRUPT_PIN));
            r.write8(StandardHeader.INTERRUPT_PIN, 3);
            assertEquals(1, r.read8(StandardHeader.INTERRUPT_PIN));
            r.write8(StandardHeader.INTERRUPT_LINE, 0x2a);
            assertEquals(0x2a, r.read8(StandardHeader.INTERRUPT_LINE));
            assertEquals(0x0b, r.host.readConfig(StandardHeader.INTERRUPT_LINE, 1), "line never reaches the device");
        }
        try (Rig r = new Rig(Devices.nvme(), "vfio-pci,host=0000:00:04.0,x-intx=off", true)) {
            assertEquals(0, r.read8(StandardHeader.INTERRUPT_PIN));
            assertEquals(0, r.host.enabledVectors(PciIrqIndex.INTX));
            assertEquals(0, r.machine.intxConnections);
        }
    }

    @Test
    void outOfRangeAccessesReadOnesAndWriteNothing() {
        try (Rig r = new Rig(Devices.nvme())) {
            assertEquals(-1, r.device.configRead(4094, 4));
            assertEquals(0xFF, r.device.configRead(-1, 1));
            assertEquals(0xFF_FFFF, r.device.configRead(0, 3), "3-byte access is invalid");
            int writes = r.host.configWrites.size();
            r.device.configWrite(4096, 4, 0);
            r.device.configWrite(0x04, 3, 0);
            assertEquals(writes, r.host.configWrites.size());
        }
    }

    @Test
    void pciExpressFlrBitNeverReachesTheDevice() {
        try (Rig r = new Rig(Devices.nvme())) {
            r.write16(0x88, 0xFFFF);
            assertEquals(0x7FFF, r.host.readConfig(0x88, 2));
            assertEquals(0x7FFF, r.read16(0x88));
            r.write16(0x90, 0xFFFF); // link control: no link disable (bit 4) nor retrain (bit 5)
            assertEquals(0x01C3, r.host.readConfig(0x90, 2));
        }
    }
}
