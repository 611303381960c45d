package org.vfio4j.pci;

import org.vfio4j.common.SparseArea;
import java.util.List;

/**
 * Config spaces modelled on the lab's QEMU nvme and e1000e (IDs, BAR layout, capability chains as
 * those devices present them), plus hidden capabilities the model must unlink.
 */
final class Devices {

    private Devices() {}

    static final class Image {
        final byte[] b = new byte[4096];

        Image u8(int off, int v) {
            b[off] = (byte) v;
            return this;
        }

        Image u16(int off, int v) {
            u8(off, v);
            return u8(off + 1, v >>> 8);
        }

        Image u32(int off, int v) {
            u16(off, v);
            return u16(off + 2, v >>> 16);
        }

        /** A standard capability header. */
        Image cap(int off, int id, int next) {
            return u8(off, id).u8(off + 1, next);
        }

        /** An extended capability header (version 1). */
        Image ext(int off, int id, int next) {
            return u32(off, id | 1 << 16 | next << 20);
        }
    }

    /** QEMU nvme: 64-bit BAR0 16 KiB with MSI-X table at 0x2000 and PBA at 0x3000; PM, MSI-X, VPD, PCIe; AER, DSN. */
    static FakePciHost nvme() {
        Image i = new Image()
                .u16(0x00, 0x1b36).u16(0x02, 0x0010)
                .u16(0x04, 0x0000).u16(0x06, 0x0010)
                .u32(0x08, 0x01080202)
                .u32(0x10, 0x0000_0004)
                .u16(0x2C, 0x1af4).u16(0x2E, 0x1100)
                .u8(0x34, 0x40)
                .u8(0x3C, 0x0b).u8(0x3D, 1)
                .cap(0x40, CapabilityList.PM, 0x50).u16(0x42, 0x0003).u16(0x44, 0x0008)
                .cap(0x50, MsixCapability.ID, 0x60).u16(0x52, 64).u32(0x54, 0x2000).u32(0x58, 0x3000)
                .cap(0x60, 0x03, 0x80).u16(0x62, 0x1234).u32(0x64, 0xdeadbeef)
                .cap(0x80, CapabilityList.EXP, 0x00).u16(0x82, 0x0002).u32(0x84, 0x1000_8000).u16(0x88, 0x2810)
                .ext(0x100, 0x0001, 0x148).u32(0x104, 0x11111111)
                .ext(0x148, 0x0003, 0x000).u32(0x14C, 0xcafef00d).u32(0x150, 0x01020304);
        FakePciHost h = new FakePciHost(i.b);
        h.regions.put(0, new FakePciHost.FakeRegion(0x4000, List.of(new SparseArea(0, 0x4000))));
        h.irqCounts.put(PciIrqIndex.INTX, 1);
        h.irqCounts.put(PciIrqIndex.MSIX, 65);
        return h;
    }

    /**
     * QEMU e1000e: BAR0/1 32-bit 128 KiB, BAR2 I/O 32 bytes, BAR3 16 KiB with the MSI-X table (5
     * vectors) at 0 and the PBA at 0x2000, a 256 KiB ROM; PM, MSI (64-bit, one vector), PCIe, MSI-X;
     * AER, DSN.
     */
    static FakePciHost e1000e() {
        Image i = new Image()
                .u16(0x00, 0x8086).u16(0x02, 0x10d3)
                .u16(0x06, 0x0010)
                .u32(0x08, 0x02000000)
                .u32(0x10, 0).u32(0x14, 0).u32(0x18, 1).u32(0x1C, 0)
                .u16(0x2C, 0x8086).u16(0x2E, 0x0000)
                .u8(0x34, 0xC8)
                .u8(0x3D, 1)
                .cap(0xC8, CapabilityList.PM, 0xD0).u16(0xCA, 0xC823).u16(0xCC, 0x2000)
                .cap(0xD0, MsiCapability.ID, 0xE0).u16(0xD2, 0x0080)
                .cap(0xE0, CapabilityList.EXP, 0xA0).u16(0xE2, 0x0002)
                .cap(0xA0, MsixCapability.ID, 0x00).u16(0xA2, 4).u32(0xA4, 0x0000_0003).u32(0xA8, 0x0000_2003)
                .ext(0x100, 0x0001, 0x140)
                .ext(0x140, 0x0003, 0x000).u32(0x144, 0x12345678);
        FakePciHost h = new FakePciHost(i.b);
        h.regions.put(0, new FakePciHost.FakeRegion(0x20000, List.of(new SparseArea(0, 0x20000))));
        h.regions.put(1, new FakePciHost.FakeRegion(0x20000, List.of(new SparseArea(0, 0x20000))));
        h.regions.put(2, new FakePciHost.FakeRegion(0x20, List.of()));
        h.regions.put(3, new FakePciHost.FakeRegion(0x4000, List.of(new SparseArea(0, 0x4000))));
        FakePciHost.FakeRegion rom = new FakePciHost.FakeRegion(0x40000, List.of());
        rom.write(0, 2, 0xAA55);
        rom.write(2, 1, 0x80);
        h.regions.put(RomBar.REGION, rom);
        h.irqCounts.put(PciIrqIndex.INTX, 1);
        h.irqCounts.put(PciIrqIndex.MSI, 1);
        h.irqCounts.put(PciIrqIndex.MSIX, 5);
        return h;
    }

    /** A device with MSI only: 64-bit, per-vector masking, four vectors; PM, MSI, PCIe. */
    static FakePciHost msiMaskable() {
        Image i = new Image()
                .u16(0x00, 0x1b36).u16(0x02, 0x0005)
                .u16(0x06, 0x0010)
                .u32(0x08, 0x00ff0000)
                .u32(0x10, 0)
                .u8(0x34, 0x40)
                .u8(0x3D, 2)
                .cap(0x40, CapabilityList.PM, 0x50).u16(0x42, 0x0003)
                .cap(0x50, MsiCapability.ID, 0x80).u16(0x52, 0x0184)
                .cap(0x80, CapabilityList.EXP, 0x00).u16(0x82, 0x0002);
        FakePciHost h = new FakePciHost(i.b);
        h.regions.put(0, new FakePciHost.FakeRegion(0x1000, List.of(new SparseArea(0, 0x1000))));
        h.irqCounts.put(PciIrqIndex.INTX, 1);
        h.irqCounts.put(PciIrqIndex.MSI, 4);
        return h;
    }
}
