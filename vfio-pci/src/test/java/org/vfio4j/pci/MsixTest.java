package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.GuestInterrupt;

class MsixTest {

    private static final int CAP = 0x50;
    private static final long BAR = 0xFEB0_0000L;
    private static final long TABLE = BAR + 0x2000;
    private static final long PBA = BAR + 0x3000;

    private static Rig started(FakePciHost host) {
        Rig r = new Rig(host);
        r.write32(0x10, (int) BAR);
        r.command(StandardHeader.CMD_MEMORY | StandardHeader.CMD_BUS_MASTER);
        return r;
    }

    private static void entry(Rig r, int vector, long address, int data, boolean masked) {
        long e = TABLE + 16L * vector;
        r.machine.write(BarSpace.MEMORY, e, 4, (int) address);
        r.machine.write(BarSpace.MEMORY, e + 4, 4, (int) (address >>> 32));
        r.machine.write(BarSpace.MEMORY, e + 8, 4, data);
        r.machine.write(BarSpace.MEMORY, e + 12, 4, masked ? 1 : 0);
    }

    @Test
    void enableWithEverythingMaskedStillSwitchesTheHost() {
        try (Rig r = started(Devices.nvme())) {
            r.write16(CAP + 2, 0x8000);
            assertEquals(0x8040, r.read16(CAP + 2), "enable set, table size 65 read-only");
            r.write16(CAP + 2, 0x8000 | 0x7FF);
            assertEquals(0x8040, r.read16(CAP + 2), "the table size is not writable");
            assertEquals(0, r.host.enabledVectors(PciIrqIndex.INTX));
            assertEquals(1, r.host.enabledVectors(PciIrqIndex.MSIX));
            assertTrue(r.machine.msiRoutes().isEmpty());
            r.host.fire(PciIrqIndex.MSIX, 0);
            r.machine.dispatch();
            assertEquals(1, r.machine.read(BarSpace.MEMORY, PBA, 8), "vector 0 pending");
            assertTrue(r.machine.delivered.isEmpty());
        }
    }

    @Test
    void vectorsAddedOneByOneOnAResizableHostNeverDisableTheIndex() {
        FakePciHost host = Devices.nvme();
        host.resizable = true;
        try (Rig r = started(host)) {
            r.write16(CAP + 2, 0x8000);
            for (int v = 0; v < 8; v++) {
                entry(r, v, 0xFEE0_0000L, 0x40 + v, false);
            }
            assertEquals(8, host.enabledVectors(PciIrqIndex.MSIX));
            assertFalse(host.log.contains("disable MSIX"), host.log.toString());
            for (int v = 0; v < 8; v++) {
                assertTrue(host.fire(PciIrqIndex.MSIX, v));
            }
            r.machine.dispatch();
            assertEquals(8, r.machine.delivered.size());
        }
    }

    @Test
    void growingANoResizeHostReSignalsLiveVectorsSoNoneIsLost() {
        FakePciHost host = Devices.nvme();
        try (Rig r = started(host)) {
            r.write16(CAP + 2, 0x8000);
            entry(r, 0, 0xFEE0_0000L, 0x40, false);
            r.machine.dispatch();
            assertTrue(r.machine.delivered.isEmpty());
            entry(r, 5, 0xFEE0_0000L, 0x45, false);
            assertEquals(6, host.enabledVectors(PciIrqIndex.MSIX));
            assertTrue(host.log.contains("disable MSIX"));
            r.machine.dispatch();
            assertEquals(List.of(new GuestInterrupt.Msi(0xFEE0_0000L, 0x40)), r.machine.delivered,
                    "vector 0 re-signalled once to cover the re-enable window");
            host.fire(PciIrqIndex.MSIX, 5);
            host.fire(PciIrqIndex.MSIX, 0);
            r.machine.dispatch();
            assertEquals(3, r.machine.delivered.size());
        }
    }

    @Test
    void perVectorMaskHoldsInterruptsInThePba() {
        try (Rig r = started(Devices.nvme())) {
            r.write16(CAP + 2, 0x8000);
            entry(r, 3, 0xFEE0_0000L, 0x53, false);
            r.machine.write(BarSpace.MEMORY, TABLE + 16 * 3 + 12, 4, 1); // mask 3
            r.host.fire(PciIrqIndex.MSIX, 3);
            r.machine.dispatch();
            assertTrue(r.machine.delivered.isEmpty());
            assertEquals(0b1000, r.machine.read(BarSpace.MEMORY, PBA, 4));
            r.machine.write(BarSpace.MEMORY, PBA, 4, 0);
            assertEquals(0b1000, r.machine.read(BarSpace.MEMORY, PBA, 4), "PBA is read-only");
            r.machine.write(BarSpace.MEMORY, TABLE + 16 * 3 + 12, 4, 0); // unmask 3
            r.machine.dispatch();
            assertEquals(List.of(new GuestInterrupt.Msi(0xFEE0_0000L, 0x53)), r.machine.delivered);
            assertEquals(0, r.machine.read(BarSpace.MEMORY, PBA, 4));
        }
    }

    @Test
    void functionMaskMasksEveryVector() {
        try (Rig r = started(Devices.nvme())) {
            r.write16(CAP + 2, 0x8000);
            entry(r, 1, 0xFEE0_0000L, 0x41, false);
            assertTrue(r.device.barDirect(0));
            r.write16(CAP + 2, 0xC000);
            assertEquals(1, r.machine.msiRoutes().size(), "the route is kept while masked");
            assertTrue(r.machine.msiRoutes().getFirst().suspended, "but it delivers nothing");
            r.host.fire(PciIrqIndex.MSIX, 1);
            r.machine.dispatch();
            assertEquals(0b10, r.machine.read(BarSpace.MEMORY, PBA, 1));
            r.write16(CAP + 2, 0x8000);
            r.machine.dispatch();
            assertEquals(List.of(new GuestInterrupt.Msi(0xFEE0_0000L, 0x41)), r.machine.delivered);
        }
    }

    @Test
    void tableReadsBackWhatTheGuestWroteExceptReservedBits() {
        try (Rig r = started(Devices.nvme())) {
            entry(r, 2, 0x1_2345_6780L, 0x99, false);
            r.machine.write(BarSpace.MEMORY, TABLE + 16 * 2 + 12, 4, 0xFFFF_FFFE);
            assertEquals(0x1_2345_6780L, r.machine.read(BarSpace.MEMORY, TABLE + 32, 8));
            assertEquals(0x99, r.machine.read(BarSpace.MEMORY, TABLE + 40, 4));
            assertEquals(0, r.machine.read(BarSpace.MEMORY, TABLE + 44, 4));
            assertEquals(0, r.host.regions.get(0).writes, "table writes never reach the device");
        }
    }

    @Test
    void disablingReturnsToIntxAndReleasesTriggers() {
        try (Rig r = started(Devices.nvme())) {
            r.write16(CAP + 2, 0x8000);
            entry(r, 0, 0xFEE0_0000L, 0x40, false);
            r.write16(CAP + 2, 0);
            assertEquals(0, r.host.enabledVectors(PciIrqIndex.MSIX));
            assertEquals(1, r.host.enabledVectors(PciIrqIndex.INTX));
            assertTrue(r.machine.msiRoutes().isEmpty());
            assertTrue(r.machine.watches.isEmpty() || r.machine.resample);
        }
    }

    @Test
    void msiAndMsixCannotBothOwnTheDevice() {
        try (Rig r = new Rig(Devices.e1000e())) {
            r.write16(0xD2, 0x0001); // MSI enable
            r.write16(0xA2, 0x8000); // MSI-X enable: refused while MSI owns it
            assertEquals(1, r.host.enabledVectors(PciIrqIndex.MSI));
            assertEquals(0, r.host.enabledVectors(PciIrqIndex.MSIX));
            r.write16(0xD2, 0);
            r.write16(0xA2, 0);
            r.write16(0xA2, 0x8000);
            assertEquals(1, r.host.enabledVectors(PciIrqIndex.MSIX));
        }
    }
    @Test
    void maskingAndUnmaskingSuspendsTheSameRouteInsteadOfMakingANewOne() {
        try (Rig r = started(Devices.nvme())) {
            r.write16(CAP + 2, 0x8000);
            entry(r, 2, 0xFEE0_0000L, 0x42, false);
            FakeMachine.Route route = r.machine.msiRoutes().getFirst();
            for (int i = 0; i < 100; i++) {
                r.machine.write(BarSpace.MEMORY, TABLE + 16 * 2 + 12, 4, 1);
                assertTrue(route.suspended);
                r.machine.write(BarSpace.MEMORY, TABLE + 16 * 2 + 12, 4, 0);
                assertFalse(route.suspended);
            }
            assertEquals(List.of(route), r.machine.msiRoutes(), "one route for the vector all along");
            r.host.fire(PciIrqIndex.MSIX, 2);
            r.machine.dispatch();
            assertEquals(List.of(new GuestInterrupt.Msi(0xFEE0_0000L, 0x42)), r.machine.delivered);
        }
    }

    @Test
    void aVectorTheMachineCannotRouteStaysMaskedAndLaterUnmasksWork() {
        try (Rig r = started(Devices.nvme())) {
            r.write16(CAP + 2, 0x8000);
            r.machine.failRoutes = 1;
            entry(r, 1, 0xFEE0_0000L, 0x41, false);
            assertTrue(r.machine.msiRoutes().isEmpty(), "no route after the refusal");
            assertEquals(1, r.machine.warnings.size(), r.machine.warnings.toString());
            assertTrue(r.machine.warnings.getFirst().contains("vector 1") && r.machine.warnings.getFirst()
                    .contains("stays masked"), r.machine.warnings.toString());
            r.host.fire(PciIrqIndex.MSIX, 1);
            r.machine.dispatch();
            assertTrue(r.machine.delivered.isEmpty());
            assertEquals(0b10, r.machine.read(BarSpace.MEMORY, PBA, 1), "held in the PBA like a masked vector");
            r.machine.write(BarSpace.MEMORY, TABLE + 16 + 12, 4, 1);
            r.machine.write(BarSpace.MEMORY, TABLE + 16 + 12, 4, 0);   // the guest's next unmask routes it
            r.machine.dispatch();
            assertEquals(List.of(new GuestInterrupt.Msi(0xFEE0_0000L, 0x41)), r.machine.delivered);
        }
    }

    @Test
    void aRefusedRetargetKeepsTheOldMessageAndTheVectorMasked() {
        try (Rig r = started(Devices.nvme())) {
            r.write16(CAP + 2, 0x8000);
            entry(r, 0, 0xFEE0_0000L, 0x40, false);
            r.machine.failRoutes = 1;
            r.machine.write(BarSpace.MEMORY, TABLE + 8, 4, 0x77);
            FakeMachine.Route route = r.machine.msiRoutes().getFirst();
            assertEquals(new GuestInterrupt.Msi(0xFEE0_0000L, 0x40), route.target);
            assertTrue(route.suspended, "a vector whose new message could not be routed delivers nothing");
            r.machine.write(BarSpace.MEMORY, TABLE + 12, 4, 0);
            assertEquals(new GuestInterrupt.Msi(0xFEE0_0000L, 0x77), route.target);
            assertFalse(route.suspended);
        }
    }

    @Test
    void theGuestSeesOnlyTheVectorsVfioOffers() {
        FakePciHost host = Devices.nvme();
        host.irqCounts.put(PciIrqIndex.MSIX, 8);
        try (Rig r = started(host)) {
            assertEquals(7, r.read16(CAP + 2) & 0x7FF, "table size field: 8 entries");
            r.write16(CAP + 2, 0x8000);
            long past = TABLE + 16 * 8;
            r.machine.write(BarSpace.MEMORY, past, 4, 0xFEE0_0000);
            r.machine.write(BarSpace.MEMORY, past + 12, 4, 0);
            assertEquals(0, r.machine.read(BarSpace.MEMORY, past, 4), "past the guest's table: reads zero");
            assertEquals(0, r.host.regions.get(0).writes, "nothing past the guest's table reaches the device");
            assertTrue(r.machine.msiRoutes().isEmpty());
        }
    }

    @Test
    void accessesStraddlingTheTableOrPbaEdgeReadAllOnesAndAreDropped() {
        try (Rig r = started(Devices.nvme())) {
            long tableEnd = TABLE + 16 * 65;
            assertEquals(0xFFFF_FFFFL, r.machine.read(BarSpace.MEMORY, tableEnd - 2, 4));
            r.machine.write(BarSpace.MEMORY, tableEnd - 2, 4, 0x1234_5678);
            assertEquals(0xFFFF_FFFFL, r.machine.read(BarSpace.MEMORY, PBA + 14, 4), "PBA of 65 vectors: 16 bytes");
            assertEquals(-1L, r.machine.read(BarSpace.MEMORY, tableEnd - 4, 8));
            assertEquals(1, r.machine.read(BarSpace.MEMORY, tableEnd - 4, 4), "the last entry is still masked");
            assertEquals(0, r.host.regions.get(0).writes, "no straddling write reached the device");
            r.machine.write(BarSpace.MEMORY, PBA, 8, -1L);
            assertEquals(0, r.machine.read(BarSpace.MEMORY, PBA, 8), "PBA writes are ignored");
        }
    }
}
