package org.vfio4j.virt.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void functionsShareADeviceNumberBehindAMultifunctionFunctionZero() throws Exception {
        PciRootBus bus = new PciRootBus();
        assertEquals(5 << 3, bus.claim("nvme0", 5, 0, true));
        assertEquals(5 << 3 | 1, bus.claim("net0", 5, 1, false));
        assertEquals(1, bus.claimSlot("auto"), "an automatic device number skips none but the used ones");
        assertEquals(2, bus.claimSlot("auto2"));
        ArrayFunction nvme = new ArrayFunction();
        ArrayFunction net = new ArrayFunction();
        net.space[0] = (byte) 0x86;
        try (AutoCloseable a = bus.attachDevfn(5 << 3, nvme); AutoCloseable b = bus.attachDevfn(5 << 3 | 1, net)) {
            assertEquals(0x86L, bus.ecam().read(ecam(0, 5, 1, 0), 1), "function 1 answers on ECAM");
            assertEquals(0xffL, bus.ecam().read(ecam(0, 5, 2, 0), 1), "function 2 is absent");
            assertEquals(List.of("05.0 nvme0", "05.1 net0"), bus.present().stream()
                    .map(p -> String.format("%02x.%x %s", p.slot(), p.fn(), p.id())).toList());
        }
    }

    @Test
    void addressesFollowQemusRules() throws Exception {
        PciRootBus bus = new PciRootBus();
        bus.claim("single", 3, 0, false);
        assertTrue(assertThrows(DeviceException.class, () -> bus.claim("x", 3, 1, false)).getMessage()
                .contains("single at function 0 is a single function device; give it multifunction=on"));
        assertTrue(assertThrows(DeviceException.class, () -> bus.claim("x", 4, 2, false)).getMessage()
                .contains("function 0 of device 04 must come first"));
        assertTrue(assertThrows(DeviceException.class, () -> bus.claim("x", 3, 0, false)).getMessage()
                .contains("addr=03.0 is already taken by single"));
        assertTrue(assertThrows(DeviceException.class, () -> bus.claim("x", 0, 0, false)).getMessage()
                .contains("host bridge"));
        assertEquals(List.of(5, 1), List.of(VfioPciType.addr("d", "05.1")[0], VfioPciType.addr("d", "05.1")[1]));
        assertEquals(0x1f, VfioPciType.addr("d", "0x1f")[0]);
        assertEquals(-1, VfioPciType.addr("d", null)[0]);
        for (String bad : List.of("20", "05.8", "g", "05.", "1.2.3")) {
            assertTrue(assertThrows(DeviceException.class, () -> VfioPciType.addr("d", bad)).getMessage()
                    .contains("addr=" + bad + " is not a PCI address"), bad);
        }
    }
}
