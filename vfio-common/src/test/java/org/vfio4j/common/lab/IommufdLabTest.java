package org.vfio4j.common.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vfio4j.common.DmaArena;
import org.vfio4j.common.DmaBuffer;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.DmaSpace;
import org.vfio4j.common.IommufdIoas;
import org.vfio4j.common.IovaRange;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.lab.LabArch;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/**
 * The iommufd backend against the aarch64 lab's kernel (6.12 with IOMMUFD and VFIO device cdevs, edu behind
 * an SMMUv3): a device opened through its cdev does DMA and MSI as through its group, the IOAS reports the
 * SMMU's reserved MSI window, viability and exclusion are the kernel's and read clearly. The x86 lab's
 * Debian kernel has no IOMMUFD, so this runs on arm64 only.
 */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class IommufdLabTest {
    /** Where the arm64 SMMU drivers put their software MSI window (MSI_IOVA_BASE, 1 MiB). */
    private static final long SW_MSI = 0x800_0000L;

    @Test
    void eduDoesDmaAndMsiThroughItsCdevAndTheIoasShowsTheMsiWindow(LabHost host) {
        host.bindToVfio(LabDevice.EDU);
        try (IommufdIoas ioas = IommufdIoas.open()) {
            assertEquals(List.of(new IovaRange(0, -1)), ioas.iommuInfo().iovaRanges(), "a fresh IOAS allows every IOVA");
            try (Edu edu = new Edu(ioas.openDevice(LabDevice.EDU.bdf()));
                    DmaBuffer src = ioas.allocate(4096, DmaPermission.READ_WRITE);
                    DmaBuffer dst = ioas.allocate(4096, DmaPermission.READ_WRITE)) {
                assertTrue(edu.device().group().isEmpty());
                assertEquals("ROUNDTRIP OK", EduRoundTripMain.roundTrip(edu, src, dst, 1));
                assertEquals("ROUNDTRIP OK", EduRoundTripMain.roundTrip(edu, src, dst, 2));
                List<IovaRange> ranges = ioas.iommuInfo().iovaRanges();
                assertTrue(ranges.stream().noneMatch(r -> r.contains(SW_MSI, 4096)),
                        "the SMMU's MSI window is reserved once edu is attached: " + ranges);
                assertEquals(2, ioas.mappings().size());
            }
            assertEquals(List.of(), ioas.mappings());
            assertEquals(List.of(new IovaRange(0, -1)), ioas.iommuInfo().iovaRanges(), "detached: every IOVA again");
        }
    }

    @Test
    void aGroupOpenThroughTheContainerKeepsItsDevicesCdevsUnbound(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group); IommufdIoas ioas = IommufdIoas.open()) {
            VfioException e = assertThrows(VfioException.class, () -> ioas.openDevice(LabDevice.EDU.bdf()));
            assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("open through /dev/vfio"), e.getMessage());
            assertTrue(ioas.devices().isEmpty());
            g.openDevice(LabDevice.EDU.bdf()).close(); // the group path still works
        }
        try (IommufdIoas ioas = IommufdIoas.open()) {
            ioas.openDevice(LabDevice.EDU.bdf()).close(); // and once the group is closed, the cdev binds
        }
    }

    /**
     * Behind the lab's pcie-pci-bridge the SMMUv3 sees the e1000's stream ID again for the edu ("stream 256
     * already in tree"), so the kernel puts the edu in a no-IOMMU group: sysfs lists a cdev, /dev has none. (The
     * same topology is a shared, non-viable group on x86; the refusal of such a group is the fake kernel's test.)
     */
    @Test
    void aNoIommuDeviceAndAnUnboundOneAreRefusedWithTheReason(LabHost host) {
        String edu = LabDevice.BRIDGE_EDU.bdf();
        host.sh("echo vfio-pci > /sys/bus/pci/devices/" + edu + "/driver_override; echo " + edu
                + " > /sys/bus/pci/drivers_probe");
        assertEquals("vfio-pci", host.driver(LabDevice.BRIDGE_EDU));
        try (IommufdIoas ioas = IommufdIoas.open()) {
            VfioException e = assertThrows(VfioException.class, () -> ioas.openDevice(edu));
            assertEquals(Errno.ENOENT, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("no-IOMMU group"), e.getMessage());
            VfioException unbound = assertThrows(VfioException.class, () -> ioas.openDevice(LabDevice.NVME.bdf()));
            assertTrue(unbound.getMessage().contains("not bound to a VFIO driver"), unbound.getMessage());
            assertTrue(ioas.devices().isEmpty());
        }
    }

    /**
     * The same 4 KiB mappings through both backends, each checked against the kernel (every IOVA maps again
     * once unmapped); prints the time of each way so the two can be compared in one run.
     */
    @Test
    void bothBackendsMapAndUnmapTheSamePagesAndReleaseThem(LabHost host) {
        host.bindToVfio(LabDevice.EDU);
        int group = Integer.parseInt(host.iommuGroup(LabDevice.EDU));
        int pages = Integer.getInteger("vfio4j.iommufd.pages", 2048);
        long[] ns = new long[2];
        for (int round = 0; round < 2; round++) {
            try (IommufdIoas ioas = IommufdIoas.open(); var edu = ioas.openDevice(LabDevice.EDU.bdf())) {
                ns[1] = mapUnmap(ioas, pages);
            }
            try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group)) {
                ns[0] = mapUnmap(c, pages);
            }
        }
        System.out.printf("map+unmap of %d x 4 KiB: Type1 %.1f ms, iommufd %.1f ms, iommufd/Type1 %.2f%n", pages,
                ns[0] / 1e6, ns[1] / 1e6, (double) ns[1] / ns[0]);
    }

    private static long mapUnmap(DmaSpace space, int pages) {
        try (DmaArena ram = space.newDmaArena()) {
            MemorySegment mem = ram.allocate(pages * 4096L, 4096);
            mem.fill((byte) 1); // fault the pages in first: both ways then pin the same resident memory
            long t0 = System.nanoTime();
            for (int i = 0; i < pages; i++) {
                space.map(ram, mem.asSlice(i * 4096L, 4096), 0x100_0000L + i * 4096L, DmaPermission.READ_WRITE);
            }
            assertEquals(pages, space.unmap(0x100_0000L, pages * 4096L));
            long t = System.nanoTime() - t0;
            assertFalse(space.mappings().iterator().hasNext());
            space.map(ram, mem, 0x100_0000L, DmaPermission.READ_WRITE); // the kernel let go of every IOVA
            return t;
        }
    }
}
