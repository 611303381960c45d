package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vfio4j.lab.LabArch;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/**
 * Issue 7 in the aarch64 lab: host PCI functions (the lab's emulated nvme and e1000e behind its SMMUv3, bound
 * to vfio-pci) assigned to a guest on machine-virt with KVM, used by the guest's own drivers.
 */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class PciAssignmentLabTest {
    private static PciGuest guest;

    @BeforeAll
    static void guestFiles() throws Exception {
        guest = PciGuest.prepare();
    }

    private static String nvme(String extra) {
        return "vfio-pci,host=" + LabDevice.NVME.bdf() + ",id=nvme0" + extra;
    }

    /** Test 1 (and 4 with x-no-mmap): probe, O_DIRECT write + read back, equal checksums, MSI-X counting. */
    static void assertNvmeWorks(PciGuest.Run r) {
        String all = r.all();
        assertEquals(0, r.status(), all);
        assertTrue(r.out().contains("VFIO4J-GUEST-DONE"), all);
        assertTrue(r.out().contains("pci-function 0000:00:01.0 0x1b36:0x0010 driver=nvme"), all);
        String written = r.value("nvme-write-md5");
        assertNotNull(written, all);
        assertEquals(written, r.value("nvme-read-md5"), all);
        long before = r.number("nvme-irqs-before").orElseThrow(() -> new AssertionError(all));
        long after = r.number("nvme-irqs-after").orElseThrow(() -> new AssertionError(all));
        assertTrue(after > before, "the nvme's interrupts did not count during the I/O\n" + all);
        assertTrue(r.out().contains("ITS-PCI-MSIX-0000:00:01.0"), "no MSI-X vector through the ITS\n" + all);
    }

    @Test
    void nvmeGuestWritesAndReadsBackWithMsix(LabHost host) {
        host.bindToVfio(LabDevice.NVME);
        PciGuest.Run r = guest.run(List.of(nvme("")), "vfio4j_nvme");
        System.out.println(r.all());
        assertNvmeWorks(r);
    }

    @Test
    void aDeviceOnItsHostDriverIsRefusedWithTheBindCommands(LabHost host) {
        host.bindToHostDriver(LabDevice.NVME);
        try {
            PciGuest.Run r = guest.run(List.of(nvme("")), "vfio4j_nvme");
            assertEquals(2, r.status(), r.all());
            assertTrue(r.err().contains("is bound to nvme, not vfio-pci"), r.all());
            assertTrue(r.err().contains("driver_override") && r.err().contains("drivers_probe"), r.all());
        } finally {
            host.bindToVfio(LabDevice.NVME);
        }
    }

    @Test
    void theSameDeviceTwiceIsRefused(LabHost host) {
        host.bindToVfio(LabDevice.NVME);
        PciGuest.Run r = guest.run(List.of(nvme(""), "vfio-pci,host=" + LabDevice.NVME.bdf() + ",id=again"), "");
        assertEquals(2, r.status(), r.all());
        assertTrue(r.err().contains("already assigned by nvme0"), r.all());
    }
}
