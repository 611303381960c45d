package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.GuestInterrupt;

class MsiTest {

    private static final int CAP = 0x50;

    private static void program(Rig r, long address, int data) {
        r.write32(CAP + 4, (int) address);
        r.write32(CAP + 8, (int) (address >>> 32));
        r.write16(CAP + 12, data);
    }

    @Test
    void multipleVectorsEnableAtOnceAndCarryTheirIndexInTheData() {
        try (Rig r = new Rig(Devices.msiMaskable())) {
            assertEquals(0x0184, r.read16(CAP + 2), "64-bit, maskable, 4 vectors capable, disabled");
            assertEquals(1, r.host.enabledVectors(PciIrqIndex.INTX));
            program(r, 0x8_0804_0000L, 0x40);
            r.write16(CAP + 2, 0x0021); // enable, 4 vectors (MME = 2)
            assertEquals(0x01A5, r.read16(CAP + 2));
            assertEquals(0, r.host.enabledVectors(PciIrqIndex.INTX), "INTx disabled while MSI owns the device");
            assertEquals(4, r.host.enabledVectors(PciIrqIndex.MSI));
            assertTrue(r.host.fire(PciIrqIndex.MSI, 2));
            r.machine.dispatch();
            assertEquals(List.of(new GuestInterrupt.Msi(0x8_0804_0000L, 0x42)), r.machine.delivered);
            r.write16(CAP + 2, 0);
            assertEquals(0, r.host.enabledVectors(PciIrqIndex.MSI));
            assertEquals(1, r.host.enabledVectors(PciIrqIndex.INTX), "INTx back when MSI is off");
            assertTrue(r.machine.msiRoutes().isEmpty());
        }
    }

    @Test
    void maskedVectorIsHeldPendingAndDeliveredOnUnmask() {
        try (Rig r = new Rig(Devices.msiMaskable())) {
            program(r, 0xFEE0_0000L, 0x30);
            r.write32(CAP + 16, 0b10); // mask vector 1
            r.write16(CAP + 2, 0x0021);
            r.host.fire(PciIrqIndex.MSI, 1);
            r.machine.dispatch();
            assertTrue(r.machine.delivered.isEmpty());
            assertEquals(0b10, r.read32(CAP + 20), "pending bit of vector 1");
            r.write32(CAP + 20, 0);
            assertEquals(0b10, r.read32(CAP + 20), "pending bits are read-only");
            r.write32(CAP + 16, 0);
            r.machine.dispatch();
            assertEquals(List.of(new GuestInterrupt.Msi(0xFEE0_0000L, 0x31)), r.machine.delivered);
            assertEquals(0, r.read32(CAP + 20));
        }
    }

    @Test
    void reprogrammingALiveVectorUpdatesItsRoute() {
        try (Rig r = new Rig(Devices.msiMaskable())) {
            program(r, 0xFEE0_0000L, 0x30);
            r.write16(CAP + 2, 0x0001);
            program(r, 0xFEE0_1000L, 0x50);
            r.host.fire(PciIrqIndex.MSI, 0);
            r.machine.dispatch();
            assertEquals(List.of(new GuestInterrupt.Msi(0xFEE0_1000L, 0x50)), r.machine.delivered);
            assertEquals(1, r.host.log.stream().filter(l -> l.startsWith("set MSI")).count(), "no host re-enable");
        }
    }

    @Test
    void multipleMessageEnableIsClampedToWhatTheHostHas() {
        try (Rig r = new Rig(Devices.msiMaskable())) {
            r.write16(CAP + 2, 0x0071); // asks 128 vectors
            assertEquals(4, r.host.enabledVectors(PciIrqIndex.MSI));
        }
    }
}
