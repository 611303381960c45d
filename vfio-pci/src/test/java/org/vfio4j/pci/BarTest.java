package org.vfio4j.pci;

import org.vfio4j.common.SparseArea;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BarTest {

    @Test
    void sizing32BitMemoryAndIoBars() {
        try (Rig r = new Rig(Devices.e1000e())) {
            assertEquals(0, r.read32(0x10));
            r.write32(0x10, 0xFFFF_FFFF);
            assertEquals(0xFFFE_0000, r.read32(0x10));
            r.write32(0x18, 0xFFFF_FFFF);
            assertEquals(0xFFFF_FFE1, r.read32(0x18), "I/O BAR: 32 bytes, bit 0 set");
            r.write32(0x1C, 0xFFFF_FFFF);
            assertEquals(0xFFFF_C000, r.read32(0x1C));
            for (int unimplemented : new int[] {0x20, 0x24}) {
                r.write32(unimplemented, 0xFFFF_FFFF);
                assertEquals(0, r.read32(unimplemented));
            }
            assertTrue(r.host.configWrites.stream().noneMatch(o -> o >= 0x10 && o < 0x28), "BARs are virtual");
        }
    }

    @Test
    void sizing64BitBarAsAPair() {
        try (Rig r = new Rig(Devices.nvme())) {
            assertEquals(0x4, r.read32(0x10));
            r.write32(0x10, 0xFFFF_FFFF);
            r.write32(0x14, 0xFFFF_FFFF);
            assertEquals(0xFFFF_C004, r.read32(0x10));
            assertEquals(0xFFFF_FFFF, r.read32(0x14));
            assertEquals(-1, r.device.barAddress(0), "the sizing pattern never maps");
            r.write32(0x10, 0xFEB0_0000);
            r.write32(0x14, 0x0000_0080);
            r.command(StandardHeader.CMD_MEMORY);
            assertEquals(0x80_FEB0_0000L, r.device.barAddress(0));
            assertEquals(0xFEB0_0004, r.read32(0x10));
            assertEquals(0x80, r.read32(0x14));
        }
    }

    @Test
    void theBarSnapshotFollowsTheGuestsPlacementAndDecode() {
        try (Rig r = new Rig(Devices.e1000e())) {
            java.util.List<GuestBar> before = r.device.bars();
            assertEquals(java.util.List.of(0, 1, 2, 3), before.stream().map(GuestBar::index).toList());
            assertEquals(new GuestBar(0, BarSpace.MEMORY, false, false, 0x2_0000, -1), before.get(0));
            assertEquals(new GuestBar(2, BarSpace.IO, false, false, 32, -1), before.get(2));
            r.write32(0x10, 0xC000_0000);
            r.write32(0x18, 0xC040);
            r.command(StandardHeader.CMD_MEMORY);
            java.util.List<GuestBar> after = r.device.bars();
            assertEquals(0xC000_0000L, after.get(0).address());
            assertEquals(-1, after.get(2).address(), "I/O decode is still off");
        }
    }

    @Test
    void memoryDecodeMapsMovesAndUnmaps() {
        try (Rig r = new Rig(Devices.e1000e())) {
            r.write32(0x10, 0xC000_0000);
            assertEquals(-1, r.device.barAddress(0), "no decode before the command bit");
            assertTrue(r.machine.maps.isEmpty());
            r.command(StandardHeader.CMD_MEMORY);
            assertEquals(0xC000_0000L, r.device.barAddress(0));
            assertTrue(r.device.barDirect(0));
            // The guest writes through the direct mapping and the device sees it.
            r.machine.write(BarSpace.MEMORY, 0xC000_0100L, 4, 0x1234_5678);
            assertEquals(0x1234_5678, r.host.regions.get(0).read(0x100, 4));
            r.write32(0x10, 0xD000_0000);
            assertEquals(0xD000_0000L, r.device.barAddress(0));
            assertNull(r.machine.find(BarSpace.MEMORY, 0xC000_0100L, 4), "old address unmapped");
            assertEquals(0x1234_5678, r.machine.read(BarSpace.MEMORY, 0xD000_0100L, 4));
            r.write16(StandardHeader.COMMAND, 0);
            assertEquals(-1, r.device.barAddress(0));
            assertTrue(r.machine.maps.isEmpty());
        }
    }

    @Test
    void ioBarTrapsToTheRegion() {
        try (Rig r = new Rig(Devices.e1000e())) {
            r.write32(0x18, 0xC040);
            r.command(StandardHeader.CMD_IO);
            assertEquals(0xC040L, r.device.barAddress(2));
            assertFalse(r.device.barDirect(2));
            r.machine.write(BarSpace.IO, 0xC044, 4, 0xABCD);
            assertEquals(0xABCD, r.host.regions.get(2).read(4, 4));
            assertEquals(0xABCD, r.machine.read(BarSpace.IO, 0xC044, 4));
            assertEquals(-1, r.device.barAddress(0), "memory BARs stay off with only I/O decode");
        }
    }

    @Test
    void msixPagesTrapWhileTheRestIsMappedDirectly() {
        try (Rig r = new Rig(Devices.nvme())) {
            r.write32(0x10, 0xFEB0_0000);
            r.command(StandardHeader.CMD_MEMORY);
            assertEquals(0x2000, r.machine.directBytes(), "registers direct, table and PBA pages trapped");
            FakeMachine.Map table = r.machine.find(BarSpace.MEMORY, 0xFEB0_2000L, 4);
            assertTrue(table != null && table.trap != null);
            FakeMachine.Map regs = r.machine.find(BarSpace.MEMORY, 0xFEB0_0000L, 4);
            assertTrue(regs != null && regs.direct != null);
            assertEquals(1, r.machine.read(BarSpace.MEMORY, 0xFEB0_200CL, 4), "vector 0 starts masked");
        }
    }

    @Test
    void noMmapTrapsEverythingWithTheSameResults() {
        try (Rig r = new Rig(Devices.e1000e(), "vfio-pci,host=0000:00:04.0,x-no-mmap", true)) {
            r.write32(0x10, 0xC000_0000);
            r.command(StandardHeader.CMD_MEMORY);
            assertFalse(r.device.barDirect(0));
            assertEquals(0, r.machine.directBytes());
            r.machine.write(BarSpace.MEMORY, 0xC000_0100L, 4, 0x1234_5678);
            assertEquals(0x1234_5678, r.machine.read(BarSpace.MEMORY, 0xC000_0100L, 4));
            assertEquals(0x1234_5678, r.host.regions.get(0).read(0x100, 4));
        }
    }

    @Test
    void unalignedBarAddressFallsBackToTraps() {
        FakePciHost host = Devices.msiMaskable();
        host.regions.put(0, new FakePciHost.FakeRegion(0x100, java.util.List.of(new SparseArea(0, 0x100))));
        try (Rig r = new Rig(host)) {
            r.write32(0x10, 0xC000_0100);
            r.command(StandardHeader.CMD_MEMORY);
            assertEquals(0xC000_0100L, r.device.barAddress(0));
            assertFalse(r.device.barDirect(0), "not page aligned: cannot be a memory slot");
        }
    }

    @Test
    void byteRangeSubtraction() {
        var out = ByteRange.subtract(java.util.List.of(new ByteRange(0, 0x4000)),
                java.util.List.of(new ByteRange(0x2000, 0x3000), new ByteRange(0x3000, 0x4000)));
        assertEquals(java.util.List.of(new ByteRange(0, 0x2000)), out);
        assertEquals(java.util.List.of(new ByteRange(0x1000, 0x2000)),
                ByteRange.gaps(0x2000, java.util.List.of(new ByteRange(0, 0x1000))));
        assertEquals(new ByteRange(0x1000, 0x3000), new ByteRange(0x1010, 0x2001).pageAligned(0x1000));
    }
}
