package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.GuestInterrupt;

class IntxTest {

    @Test
    void resamplingMachineGetsTriggerAndVfioGetsTheResampleFd() {
        try (Rig r = new Rig(Devices.e1000e())) {
            assertEquals(1, r.host.enabledVectors(PciIrqIndex.INTX));
            FakeMachine.Route route = r.machine.intxRoute();
            assertNotNull(route);
            assertEquals(new GuestInterrupt.Line(33), route.target(), "INTA through the machine's wiring");
            assertSame(route.resample, r.host.intxUnmaskTrigger, "EOI unmasks in the kernel");
            assertSame(route.trigger, r.host.triggers.get(PciIrqIndex.INTX).get(0));
            assertTrue(r.machine.watches.isEmpty(), "no user-space work per interrupt");
        }
    }

    @Test
    void fallbackRaisesTheLineTrapsBarsAndTakesTheNextAccessAsEoi() {
        try (Rig r = new Rig(Devices.e1000e(), "vfio-pci,host=0000:00:04.0,x-intx-mmap-timeout-ms=500", false)) {
            r.write32(0x10, 0xC000_0000);
            r.command(StandardHeader.CMD_MEMORY);
            assertTrue(r.device.barDirect(0));
            r.host.fire(PciIrqIndex.INTX, 0);
            r.machine.dispatch();
            assertTrue(r.machine.intxLevel);
            assertFalse(r.device.barDirect(0), "mmap off while INTx is pending");
            r.machine.read(BarSpace.MEMORY, 0xC000_0000L, 4); // the driver reads its interrupt cause
            assertFalse(r.machine.intxLevel);
            assertEquals(1, r.host.intxUnmasks);
            r.machine.advance(Duration.ofMillis(499));
            assertFalse(r.device.barDirect(0));
            r.machine.advance(Duration.ofMillis(1));
            assertTrue(r.device.barDirect(0), "mmap back after the timeout");
        }
    }

    @Test
    void fallbackTimerWaitsWhileStillPending() {
        try (Rig r = new Rig(Devices.e1000e(), "vfio-pci,host=0000:00:04.0", false)) {
            r.write32(0x10, 0xC000_0000);
            r.command(StandardHeader.CMD_MEMORY);
            r.host.fire(PciIrqIndex.INTX, 0);
            r.machine.dispatch();
            r.machine.advance(PciOptions.DEFAULT_INTX_MMAP_TIMEOUT);
            assertFalse(r.device.barDirect(0), "still pending: keep trapping");
            r.machine.read(BarSpace.MEMORY, 0xC000_0000L, 4);
            r.machine.advance(PciOptions.DEFAULT_INTX_MMAP_TIMEOUT);
            assertTrue(r.device.barDirect(0));
        }
    }

    @Test
    void zeroTimeoutRestoresMmapAtEoi() {
        try (Rig r = new Rig(Devices.e1000e(), "vfio-pci,host=0000:00:04.0,x-intx-mmap-timeout-ms=0", false)) {
            r.write32(0x10, 0xC000_0000);
            r.command(StandardHeader.CMD_MEMORY);
            r.host.fire(PciIrqIndex.INTX, 0);
            r.machine.dispatch();
            r.machine.read(BarSpace.MEMORY, 0xC000_0000L, 4);
            assertTrue(r.device.barDirect(0));
        }
    }
}
