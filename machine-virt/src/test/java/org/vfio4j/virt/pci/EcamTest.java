package org.vfio4j.virt.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.virt.device.DeviceException;

/** ECAM decoding of the root bus: present functions answer, everything else is all ones. */
class EcamTest {
    /** A function whose config space is a 4 KiB byte array, recording writes. */
    private static final class ArrayFunction implements PciFunction {
        final byte[] space = new byte[4096];
        final List<String> writes = new ArrayList<>();

        @Override
        public int configRead(int offset, int size) {
            int v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = v << 8 | space[offset + i] & 0xff;
            }
            return v;
        }

        @Override
        public void configWrite(int offset, int size, int value) {
            writes.add(offset + "/" + size + "=" + Integer.toHexString(value));
        }
    }

    private static long ecam(int bus, int dev, int fn, int reg) {
        return (long) bus << 20 | dev << 15 | fn << 12 | reg;
    }

    @Test
    void slotsAreHandedOutFromOneInOrderAndTheBusFillsUp() throws Exception {
        PciRootBus bus = new PciRootBus();
        assertEquals(1, bus.claimSlot("a"));
        assertEquals(2, bus.claimSlot("b"));
        for (int i = 3; i < PciRootBus.SLOTS; i++) {
            bus.claimSlot("x" + i);
        }
        assertThrows(DeviceException.class, () -> bus.claimSlot("one-too-many"));
        assertEquals(0x10, PciRootBus.requesterId(2));
    }

    @Test
    void aPresentFunctionAnswersAndEverythingElseIsAllOnes() throws Exception {
        PciRootBus bus = new PciRootBus();
        int slot = bus.claimSlot("nvme0");
        ArrayFunction f = new ArrayFunction();
        f.space[0] = 0x36;
        f.space[1] = 0x1b;
        f.space[2] = 0x10;
        f.space[3] = 0x00;
        Ecam ecam = bus.ecam();
        assertEquals(0xffff_ffffL, ecam.read(ecam(0, slot, 0, 0), 4), "absent before the device starts");
        try (AutoCloseable present = bus.attach(slot, f)) {
            assertEquals(0x0010_1b36L, ecam.read(ecam(0, slot, 0, 0), 4));
            assertEquals(0x1b36L, ecam.read(ecam(0, slot, 0, 0), 2));
            assertEquals(0x10L, ecam.read(ecam(0, slot, 0, 2), 1));
            assertEquals(0x0010_1b36L, ecam.read(ecam(0, slot, 0, 0), 8), "8 bytes: two config reads, the second of zeros");
            assertEquals(0xffffL, ecam.read(ecam(0, slot, 1, 0), 2), "function 1");
            assertEquals(0xffL, ecam.read(ecam(1, slot, 0, 0), 1), "bus 1");
            assertEquals(0xffff_ffffL, ecam.read(ecam(0, slot + 1, 0, 0), 4), "another slot");
            ecam.write(ecam(0, slot, 0, 4), 2, 0x0006);
            ecam.write(ecam(0, slot + 1, 0, 4), 2, 0x0006);
            ecam.write(ecam(0, slot, 0, 0x10), 8, 0x0000_0080_1000_0004L);
            assertEquals(List.of("4/2=6", "16/4=10000004", "20/4=80"), f.writes);
        }
        assertEquals(0xffff_ffffL, ecam.read(ecam(0, slot, 0, 0), 4), "absent after it stops");
    }
}
