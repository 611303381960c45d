package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.EventFd;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/**
 * The model against the lab's real QEMU e1000e: 32-bit memory BARs and an I/O BAR sized and
 * programmed, the I/O window trapping to the same registers as the mmapped BAR0, the ROM, and the
 * two other interrupt kinds: MSI, and INTx with its resample eventfd doing the unmask.
 */
@LabTest
class E1000eLabTest {
    private static final long BAR0 = 0xFE00_0000L;
    private static final int STATUS = 0x08;
    private static final int ICR = 0xC0;
    private static final int ICS = 0xC8;
    private static final int IMS = 0xD0;
    private static final int IMC = 0xD8;
    private static final int LSC = 0x4;

    private static long mmio(LabRig r, int reg) {
        return r.machine.read(BarSpace.MEMORY, BAR0 + reg, 4);
    }

    private static void setMmio(LabRig r, int reg, long v) {
        r.machine.write(BarSpace.MEMORY, BAR0 + reg, 4, v);
    }

    private static void mapBar0(LabRig r) {
        r.write(0x10, 4, (int) BAR0);
        r.command(StandardHeader.CMD_MEMORY | StandardHeader.CMD_BUS_MASTER);
        setMmio(r, IMC, 0xFFFF_FFFFL);
        mmio(r, ICR); // read-to-clear anything pending from reset
    }

    @Test
    void everyBarSizesFromItsRegionAndIoTrapsToTheSameRegisters(LabHost host) {
        try (LabRig r = new LabRig(host, LabDevice.E1000E, "", true)) {
            int ioBar = -1;
            for (int bar = 0; bar < 6; bar++) {
                var region = r.device.hostRegion(bar);
                if (region.isEmpty()) {
                    assertEquals(0, r.sizeBar(bar, false) & 0xFFFF_FFFFL, "unimplemented BAR" + bar + " reads zero");
                    continue;
                }
                int flags = r.read(0x10 + 4 * bar, 4) & 0xF;
                assertEquals(0, flags & 0x6, "e1000e has 32-bit BARs only");
                long mask = r.sizeBar(bar, false);
                long size = region.get().size();
                if ((flags & 1) == 1) {
                    ioBar = bar;
                    assertEquals((~(size - 1) | 1) & 0xFFFF_FFFFL, mask, "I/O BAR" + bar);
                } else {
                    assertEquals((~(size - 1) | flags) & 0xFFFF_FFFFL, mask, "memory BAR" + bar);
                }
            }
            assertTrue(ioBar >= 0, "e1000e has an I/O BAR");
            mapBar0(r);
            r.write(0x10 + 4 * ioBar, 4, 0xC000);
            r.command(StandardHeader.CMD_IO);
            assertFalse(r.model.barDirect(ioBar));
            r.machine.write(BarSpace.IO, 0xC000, 4, STATUS); // IOADDR
            long viaIo = r.machine.read(BarSpace.IO, 0xC004, 4); // IODATA
            assertEquals(mmio(r, STATUS), viaIo, "STATUS through the I/O window equals STATUS through BAR0");
        }
    }

    @Test
    void romIsReadableAndHiddenWithRombar0(LabHost host) {
        try (LabRig r = new LabRig(host, LabDevice.E1000E, "", true)) {
            long hostRom = r.device.hostRegion(RomBar.REGION).map(PciHostRegion::size).orElse(0L);
            assertTrue(hostRom > 0, "the lab's QEMU gives e1000e its efi-e1000e.rom, so VFIO has a ROM region");
            r.write(RomBar.REGISTER, 4, -1);
            int mask = r.read(RomBar.REGISTER, 4);
            assertEquals((~(hostRom - 1) & 0xFFFF_F800L) | 1, Integer.toUnsignedLong(mask));
            r.write(RomBar.REGISTER, 4, 0xFD00_0001);
            r.command(StandardHeader.CMD_MEMORY);
            assertEquals(0xFD00_0000L, r.model.romAddress());
            assertEquals(0xAA55, r.machine.read(BarSpace.MEMORY, 0xFD00_0000L, 2), "option ROM signature");
        }
        try (LabRig r = new LabRig(host, LabDevice.E1000E, ",rombar=0", true)) {
            r.write(RomBar.REGISTER, 4, -1);
            assertEquals(0, r.read(RomBar.REGISTER, 4), "rombar=0 hides the ROM");
        }
    }

    @Test
    void msiFiresOnTheRoutedEventfd(LabHost host) {
        msi(host, "");
    }

    @Test
    void msiFiresWithEveryAccessTrapped(LabHost host) {
        msi(host, ",x-no-mmap");
    }

    private static void msi(LabHost host, String options) {
        try (LabRig r = new LabRig(host, LabDevice.E1000E, options, true)) {
            mapBar0(r);
            assertEquals(options.isEmpty(), r.model.barDirect(0));
            assertEquals(r.device.hostRegion(0).orElseThrow().read(STATUS, 4), mmio(r, STATUS),
                    "STATUS through the guest's BAR0 equals STATUS read through VFIO");
            int cap = r.capability(MsiCapability.ID);
            assertTrue(cap > 0, "e1000e shows MSI");
            boolean is64 = (r.read(cap + 2, 2) & 0x80) != 0;
            r.write(cap + 4, 4, 0xFEE0_0000);
            r.write(cap + (is64 ? 12 : 8), 2, 0x31);
            r.write(cap + 2, 2, 1);
            assertEquals(1, r.machine.msiRoutes().size());
            EventFd fd = r.machine.msiRoutes().getFirst().trigger;
            fd.read();
            setMmio(r, IMS, LSC);
            setMmio(r, ICS, LSC);
            assertTrue(fd.await(Duration.ofSeconds(10)), "MSI for the cause we set");
            assertTrue((mmio(r, ICR) & LSC) != 0);
        }
    }

    @Test
    void intxStaysMaskedUntilTheResampleEventfd(LabHost host) {
        try (LabRig r = new LabRig(host, LabDevice.E1000E, "", true)) {
            assertEquals(1, r.read(StandardHeader.INTERRUPT_PIN, 1));
            mapBar0(r);
            FakeMachine.Route line = r.machine.intxRoute();
            assertNotNull(line);
            EventFd resample = line.resample;
            assertNotNull(resample);
            line.trigger.read();
            setMmio(r, IMS, LSC);
            setMmio(r, ICS, LSC);
            assertTrue(line.trigger.await(Duration.ofSeconds(10)), "INTx fired through the irqfd trigger");
            line.trigger.read();
            mmio(r, ICR); // the guest handles it: cause cleared, line deasserted
            setMmio(r, ICS, LSC); // asserts again, but VFIO keeps INTx masked until the EOI
            assertFalse(line.trigger.await(Duration.ofMillis(300)), "masked until EOI");
            resample.signal(); // the guest's EOI, as KVM would signal it
            assertTrue(line.trigger.await(Duration.ofSeconds(10)), "unmasked in the kernel: fires again");
            setMmio(r, IMC, 0xFFFF_FFFFL);
            mmio(r, ICR);
        }
    }

    @Test
    void intxFallbackTakesTheNextBarAccessAsEoi(LabHost host) {
        try (LabRig r = new LabRig(host, LabDevice.E1000E, ",x-intx-mmap-timeout-ms=0", false)) {
            mapBar0(r);
            assertTrue(r.model.barDirect(0));
            assertEquals(1, r.machine.watches.size(), "no resampling: the model watches the INTx eventfd");
            EventFd trigger = r.machine.watches.getFirst().eventFd;
            setMmio(r, IMS, LSC);
            setMmio(r, ICS, LSC);
            assertTrue(trigger.await(Duration.ofSeconds(10)), "INTx fired");
            r.machine.dispatch();
            assertTrue(r.machine.intxLevel, "line raised from user space");
            assertFalse(r.model.barDirect(0), "BAR0 trapped while INTx is pending");
            assertTrue((mmio(r, ICR) & LSC) != 0, "the driver's ICR read goes through the trap");
            assertFalse(r.machine.intxLevel, "that access was the EOI");
            assertTrue(r.model.barDirect(0), "mmap back (timeout 0)");
            setMmio(r, ICS, LSC);
            assertTrue(trigger.await(Duration.ofSeconds(10)), "unmasked by the EOI: fires again");
            r.machine.dispatch();
            assertTrue(r.machine.intxLevel);
            setMmio(r, IMC, 0xFFFF_FFFFL);
            mmio(r, ICR);
        }
    }
}
