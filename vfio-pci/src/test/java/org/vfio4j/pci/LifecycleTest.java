package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LifecycleTest {

    @Test
    void startResetsAndClearsTheDecodeEnables() {
        FakePciHost host = Devices.nvme();
        host.config[StandardHeader.COMMAND] = 0x07;
        try (Rig r = new Rig(host)) {
            assertEquals(1, host.resets);
            assertEquals(0, r.read16(StandardHeader.COMMAND) & 0x7);
        }
    }

    @Test
    void closeReleasesEverything() {
        FakePciHost host = Devices.nvme();
        Rig r = new Rig(host, "vfio-pci,host=0000:00:04.0", false);
        r.write32(0x10, 0xFEB0_0000);
        r.command(StandardHeader.CMD_MEMORY);
        r.write16(0x52, 0x8000);
        r.machine.write(BarSpace.MEMORY, 0xFEB0_200CL, 4, 0);
        assertTrue(!r.machine.routes.isEmpty() && !r.machine.maps.isEmpty());
        r.close();
        assertTrue(r.machine.maps.isEmpty(), "guest mappings removed");
        assertTrue(r.machine.routes.isEmpty(), "routes removed");
        assertTrue(r.machine.watches.isEmpty(), "watches removed");
        assertTrue(r.machine.timers.isEmpty(), "timers cancelled");
        assertEquals(0, host.enabledVectors(PciIrqIndex.MSIX));
        assertEquals(0, host.enabledVectors(PciIrqIndex.INTX));
        assertTrue(!host.seen.isEmpty());
        for (var e : host.seen) {
            assertThrows(IllegalStateException.class, e::fd, "every eventfd closed");
        }
        assertEquals(2, host.resets, "reset on start and on stop");
        var e = assertThrows(IllegalStateException.class, () -> r.device.configRead(0, 4));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void guestResetForgetsBarsAndInterrupts() {
        try (Rig r = new Rig(Devices.nvme())) {
            r.write32(0x10, 0xFEB0_0000);
            r.command(StandardHeader.CMD_MEMORY);
            r.write16(0x52, 0x8000);
            r.device.reset();
            assertEquals(0x4, r.read32(0x10));
            assertEquals(0x0040, r.read16(0x52));
            assertTrue(r.machine.maps.isEmpty());
            assertEquals(1, r.host.enabledVectors(PciIrqIndex.INTX));
        }
    }

    @Test
    void bridgesAreRefused() {
        FakePciHost host = Devices.nvme();
        host.config[StandardHeader.HEADER_TYPE] = 1;
        var device = new AssignedPciDevice(host, PciOptions.of("0000:00:04.0"), new FakeMachine(true).seams());
        var e = assertThrows(IllegalStateException.class, device::start);
        assertTrue(e.getMessage().contains("bridge"), e.getMessage());
    }
}
