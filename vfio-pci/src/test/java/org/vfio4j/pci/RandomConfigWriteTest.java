package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

/**
 * Property: whatever a guest writes to config space (100k random writes of random width, offset and
 * value, interleaved with MSI-X table writes and reads), nothing throws, the device's host-owned
 * bits never change, and its BAR registers are never written.
 */
class RandomConfigWriteTest {

    private static final int WRITES = 100_000;

    static void run(Supplier<FakePciHost> devices, long seed) {
        FakePciHost host = devices.get();
        byte[] before = host.config.clone();
        try (Rig r = new Rig(host, "vfio-pci,host=0000:00:04.0", seed % 2 == 0)) {
            Random random = new Random(seed);
            for (int i = 0; i < WRITES; i++) {
                int size = 1 << random.nextInt(3);
                int offset = random.nextInt(host.configSize() / size) * size;
                if (random.nextInt(4) == 0) {
                    offset = random.nextInt(0x40) & ~(size - 1); // weigh the header
                }
                r.device.configWrite(offset, size, random.nextInt());
                if (i % 97 == 0) {
                    r.device.configRead(random.nextInt(host.configSize() - 4), 4);
                    r.host.fire(PciIrqIndex.MSIX, random.nextInt(8));
                    r.machine.dispatch();
                }
            }
            assertEquals(host.readConfig(0, 4), r.device.configRead(0, 4), "the guest still sees the device's ids");
            assertTrue(host.configWrites.size() > 1000, "writes did reach the device's writable registers");
            assertTrue(host.configWrites.stream().noneMatch(o -> o >= 0x10 && o < 0x28 || o == 0x30),
                    "BAR and ROM registers are never written on the device");
            for (int off = 0; off < host.configSize(); off++) {
                if (!hostWritable(host, before, off)) {
                    assertEquals(before[off], host.config[off], String.format("host-owned byte 0x%x changed", off));
                }
            }
        }
    }

    /**
     * The bytes a guest may change on the device, listed independently of the model's own tables:
     * command, status (clears only), PMCSR, PCIe device control/status and link control.
     */
    private static boolean hostWritable(FakePciHost host, byte[] before, int off) {
        if (off >= 0x04 && off < 0x08) {
            return true;
        }
        int at = before[0x34] & 0xFC;
        for (int n = 0; at != 0 && n < 48; n++) {
            int id = before[at] & 0xFF;
            if (id == CapabilityList.PM && (off == at + 4 || off == at + 5)) {
                return true;
            }
            if (id == CapabilityList.EXP && (off >= at + 8 && off < at + 0x0C || off == at + 0x10 || off == at + 0x11)) {
                return true;
            }
            at = before[at + 1] & 0xFC;
        }
        return false;
    }

    @Test
    void nvme() {
        run(Devices::nvme, 1);
        run(Devices::nvme, 2);
    }

    @Test
    void e1000e() {
        run(Devices::e1000e, 3);
        run(Devices::e1000e, 4);
    }

    @Test
    void msiOnly() {
        run(Devices::msiMaskable, 5);
    }
}
