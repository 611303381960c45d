package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * What a guest that means harm can do to the model: take the device out of D0 or switch decoding off under its
 * own mappings, make the device fail config accesses, and flood the model's diagnostics. None of it may throw
 * out of a guest access, leave a mapping over a BAR the host has revoked, or print without bound.
 */
class HostileGuestTest {
    private static final long BAR = 0xFEB0_0000L;
    private static final int PMCSR = 0x44;

    private static Rig mapped() {
        Rig r = new Rig(Devices.nvme());
        r.write32(0x10, (int) BAR);
        r.command(StandardHeader.CMD_MEMORY | StandardHeader.CMD_BUS_MASTER);
        assertTrue(r.device.barDirect(0), "BAR0 mapped straight to the device");
        return r;
    }

    @Test
    void decodeOffRemovesTheBarMappingsBeforeTheDeviceSeesTheWrite() {
        try (Rig r = mapped()) {
            List<Integer> directAtWrite = new ArrayList<>();
            r.host.beforeConfigWrite = (off, value) -> {
                if (off == StandardHeader.COMMAND) {
                    directAtWrite.add((int) r.machine.directBytes());
                }
            };
            r.write16(StandardHeader.COMMAND, StandardHeader.CMD_BUS_MASTER);
            assertEquals(List.of(0), directAtWrite, "a direct mapping was still live when decoding went off");
            assertEquals(-1, r.device.barAddress(0));
            assertNull(r.machine.find(BarSpace.MEMORY, BAR, 4), "nothing decodes BAR0 while decoding is off");
            r.command(StandardHeader.CMD_MEMORY);
            assertTrue(r.device.barDirect(0), "decode on maps BAR0 again");
        }
    }

    @Test
    void d3hotRemovesTheMappingsFirstAndD0RestoresThem() {
        try (Rig r = mapped()) {
            List<Long> directAtWrite = new ArrayList<>();
            r.host.beforeConfigWrite = (off, value) -> {
                if (off == PMCSR) {
                    directAtWrite.add(r.machine.directBytes());
                }
            };
            r.write16(PMCSR, 0x0003);
            assertEquals(3, r.host.readConfig(PMCSR, 2) & 3, "D3hot reached the device");
            assertEquals(List.of(0L), directAtWrite, "a direct mapping was still live when the device left D0");
            assertNull(r.machine.find(BarSpace.MEMORY, BAR, 4));
            assertEquals(-1, r.device.barAddress(0));
            r.write16(PMCSR, 0x0000);
            assertTrue(r.device.barDirect(0), "back in D0: BAR0 mapped again");
            assertEquals(BAR, r.device.barAddress(0));
        }
    }

    @Test
    void aBarMovedWhileInD3hotStaysUnmappedUntilD0() {
        try (Rig r = mapped()) {
            r.write16(PMCSR, 0x0003);
            r.write32(0x10, (int) (BAR + 0x10_0000));
            assertEquals(-1, r.device.barAddress(0));
            r.write8(PMCSR, 0);
            assertEquals(BAR + 0x10_0000, r.device.barAddress(0));
        }
    }

    @Test
    void aDeviceThatFailsConfigAccessesReadsAllOnesAndDropsWrites() {
        try (Rig r = mapped()) {
            r.host.configFails = true;
            assertEquals(0xFFFF_FFFF, r.read32(0x00), "vendor/device of a failing device");
            assertEquals(0xFFFF, r.read16(StandardHeader.COMMAND));
            assertEquals(0xFF, r.read8(0x2C));
            r.write16(StandardHeader.COMMAND, 0);
            r.write32(0x88, 0xFFFF_7FFF); // everything but Initiate FLR (FunctionLevelResetTest has that)
            assertEquals(BAR | 0b100, Integer.toUnsignedLong(r.read32(0x10)), "emulated BARs do not depend on the device");
            assertFalse(r.machine.warnings.isEmpty(), "the failures are reported");
            r.host.configFails = false;
            assertEquals(0x0010_1b36, r.read32(0));
        }
    }

    @Test
    void aFailingWriteThroughNeverWritesOnesOverHostOwnedBits() {
        try (Rig r = new Rig(Devices.nvme())) {
            byte[] before = r.host.config.clone();
            r.host.configFails = true;
            for (int off = 0; off < 0x100; off += 2) {
                r.write16(off, 0xFFFF);
            }
            r.host.configFails = false;
            for (int i = 0; i < before.length; i++) {
                assertEquals(before[i], r.host.config[i], "config byte 0x" + Integer.toHexString(i) + " changed");
            }
        }
    }

    @Test
    void randomConfigWritesOnAFailingDevicePrintABoundedNumberOfLines() {
        try (Rig r = mapped()) {
            r.host.configFails = true;
            SplittableRandom random = new SplittableRandom(14);
            int[] widths = {1, 2, 4};
            for (int i = 0; i < 100_000; i++) {
                int w = widths[random.nextInt(3)];
                int off = random.nextInt(4096) & ~(w - 1);
                if (random.nextBoolean()) {
                    r.device.configWrite(off, w, random.nextInt());
                } else {
                    r.device.configRead(off, w);
                }
            }
            assertTrue(r.machine.warnings.size() <= 11, r.machine.warnings.size() + " lines for 100,000 failures "
                    + "within one interval: " + r.machine.warnings);
        }
    }
}
