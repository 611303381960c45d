package org.vfio4j.common.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.DeviceFlag;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.PlainVfioDevice;
import org.vfio4j.common.RegionInfo;
import org.vfio4j.common.SparseArea;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.VfioIrq;
import org.vfio4j.common.VfioRegion;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/** QEMU's NVMe controller through VFIO: config space, BAR0, and the MSI-X table with the mmap around it. */
@LabTest
class NvmeLabTest {
    private static final int PCI_CAP_ID_MSIX = 0x11;

    @Test
    void configSpaceMatchesSysfsWhereVfioDoesNotVirtualise(LabHost host) throws IOException {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.NVME));
        String bdf = LabDevice.NVME.bdf();
        byte[] sysfs = Files.readAllBytes(Path.of("/sys/bus/pci/devices/" + bdf + "/config"));
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                PlainVfioDevice dev = g.openDevice(bdf)) {
            assertTrue(dev.info().has(DeviceFlag.PCI) && dev.info().has(DeviceFlag.RESET), dev.info().flags().toString());
            VfioRegion cfg = dev.region(VfioAbi.VFIO_PCI_CONFIG_REGION_INDEX);
            assertTrue(cfg.size() >= 256);
            // IDs, revision, class, header type, subsystem IDs: never virtualised by vfio-pci.
            for (int off : List.of(0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x0e, 0x2c, 0x2d, 0x2e, 0x2f)) {
                assertEquals(sysfs[off] & 0xff, cfg.read8(off), "config byte 0x" + Integer.toHexString(off));
            }
            assertEquals(0x1b36, cfg.read16(0));
            assertEquals(0x010802, cfg.read32(0x08) >>> 8, "class: mass storage / NVM / NVMe");
            // Wider accesses agree with byte accesses.
            assertEquals((cfg.read16(2) << 16) | cfg.read16(0), cfg.read32(0));
            assertEquals(((long) cfg.read32(0x2c) << 32 | Integer.toUnsignedLong(cfg.read32(0x28))), cfg.read64(0x28));
        }
    }

    @Test
    void bar0SizeAndFlagsAgreeWithSysfs(LabHost host) throws IOException {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.NVME));
        String bdf = LabDevice.NVME.bdf();
        String[] res0 = Files.readAllLines(Path.of("/sys/bus/pci/devices/" + bdf + "/resource")).get(0).trim().split("\\s+");
        long size = Long.decode(res0[1]) - Long.decode(res0[0]) + 1;
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                PlainVfioDevice dev = g.openDevice(bdf)) {
            RegionInfo bar0 = dev.regionInfo(VfioAbi.VFIO_PCI_BAR0_REGION_INDEX);
            assertEquals(size, bar0.size(), "BAR0 size as sysfs resource reports it");
            assertTrue(bar0.readable() && bar0.writable() && bar0.mmappable(), "BAR0 flags 0x" + Integer.toHexString(bar0.flags()));
            assertEquals(0L, dev.regionInfo(1).size(), "BAR1 is BAR0's upper half (64-bit BAR): no region");
            // NVMe CAP register through the region: MQES (bits 15:0) + 1 queue entries, never 0xffff...
            long cap = dev.region(0).read64(0);
            assertTrue(cap != -1L && (cap & 0xffff) > 0, "CAP 0x" + Long.toHexString(cap));
        }
    }

    @Test
    void msixVectorsEnabledIncrementallyStayLive(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.NVME));
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                PlainVfioDevice dev = g.openDevice(LabDevice.NVME.bdf())) {
            VfioIrq msix = dev.irq(VfioAbi.VFIO_PCI_MSIX_IRQ_INDEX);
            assertTrue(msix.count() >= 8, "nvme offers " + msix.count() + " MSI-X vectors");
            EventFd v0 = msix.enable(0);
            assertEquals(1, msix.enabledCount());
            msix.fire(0);
            assertEquals(1, v0.awaitAndRead(Duration.ofSeconds(10)));
            // Grow past what the kernel enabled, as a guest unmasking entries one by one would.
            List<EventFd> more = msix.enable(5, 3);
            assertEquals(8, msix.enabledCount());
            assertSame(v0, msix.trigger(0), "vector 0 kept its eventfd");
            for (int v : List.of(0, 5, 7)) {
                EventFd e = v == 0 ? v0 : more.get(v - 5);
                msix.fire(v);
                assertEquals(1, e.awaitAndRead(Duration.ofSeconds(10)), "vector " + v + " is live");
            }
            assertNull(msix.trigger(3), "vectors in between stay without eventfd");
            msix.disable(5, 1);
            assertNull(msix.trigger(5));
            msix.fire(6);
            assertEquals(1, more.get(1).awaitAndRead(Duration.ofSeconds(10)), "detaching vector 5 left 6 live");
            msix.disable();
            assertEquals(0, msix.enabledCount());
        }
    }

    @Test
    void msixTableAndTheMmapAroundIt(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.NVME));
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                PlainVfioDevice dev = g.openDevice(LabDevice.NVME.bdf())) {
            VfioRegion cfg = dev.region(VfioAbi.VFIO_PCI_CONFIG_REGION_INDEX);
            int cap = cfg.read8(0x34);
            int guard = 0;
            while (cap != 0 && cfg.read8(cap) != PCI_CAP_ID_MSIX && guard++ < 48) {
                cap = cfg.read8(cap + 1);
            }
            assertTrue(cap != 0, "nvme has an MSI-X capability");
            int entries = (cfg.read16(cap + 2) & 0x7ff) + 1;
            int table = cfg.read32(cap + 4);
            int bir = table & 7;
            long tableOffset = table & ~7L;
            long tableEnd = tableOffset + 16L * entries;
            assertEquals(entries, dev.irqInfo(VfioAbi.VFIO_PCI_MSIX_IRQ_INDEX).count(), "VFIO reports the table size");
            RegionInfo bar = dev.regionInfo(bir);
            assertTrue(tableEnd <= bar.size());
            List<SparseArea> areas = bar.mmapAreas();
            assertFalse(areas.isEmpty(), "the BAR is mmap-able at least around the table");
            if (bar.msixMappable()) {
                // IRQ remapping present: the kernel lets the table be mapped too.
                assertTrue(areas.stream().anyMatch(a -> a.contains(tableOffset, tableEnd - tableOffset)), areas.toString());
            } else {
                long page = 4096;
                long lo = tableOffset & -page;
                long hi = (tableEnd + page - 1) & -page;
                for (SparseArea a : areas) {
                    assertTrue(a.offset() + a.size() <= lo || a.offset() >= hi, a + " overlaps the MSI-X table pages");
                }
            }
            // Whatever is mappable can be mapped and read.
            VfioRegion region = dev.region(bir);
            for (SparseArea a : areas) {
                assertEquals(a.size(), region.mmap(a).byteSize());
            }
        }
    }
}
