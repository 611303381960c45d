package org.vfio4j.common;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.common.sys.VfioAbi;

/** Capability chains built by hand the way the kernel lays them out, including broken ones. */
class CapabilityChainTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    private static void header(MemorySegment buf, long at, int id, int version, int next) {
        buf.set(JAVA_SHORT, at, (short) id);
        buf.set(JAVA_SHORT, at + 2, (short) version);
        buf.set(JAVA_INT, at + 4, next);
    }

    @Test
    void regionChainWithSparseMmapTypeAndMsix() {
        // 32-byte vfio_region_info, then sparse mmap (2 areas) at 32, type at 80, msix-mappable at 96
        MemorySegment buf = arena.allocate(104, 8);
        header(buf, 32, VfioAbi.VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, 80);
        buf.set(JAVA_INT, 40, 2);
        buf.set(JAVA_LONG, 48, 0);
        buf.set(JAVA_LONG, 56, 0x2000);
        buf.set(JAVA_LONG, 64, 0x3000);
        buf.set(JAVA_LONG, 72, 0x1000);
        header(buf, 80, VfioAbi.VFIO_REGION_INFO_CAP_TYPE, 1, 96);
        buf.set(JAVA_INT, 88, 0x8000_8086);
        buf.set(JAVA_INT, 92, 3);
        header(buf, 96, VfioAbi.VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, 0);
        List<RegionCapability> caps = CapabilityChain.regionCaps(buf, 32);
        assertEquals(List.of(
                new RegionCapability.SparseMmap(List.of(new SparseArea(0, 0x2000), new SparseArea(0x3000, 0x1000))),
                new RegionCapability.Type(0x8000_8086, 3), new RegionCapability.MsixMappable()), caps);
        RegionInfo info = new RegionInfo(0, VfioAbi.VFIO_REGION_INFO_FLAG_MMAP | VfioAbi.VFIO_REGION_INFO_FLAG_CAPS,
                0x4000, 0, caps);
        assertEquals(List.of(new SparseArea(0, 0x2000), new SparseArea(0x3000, 0x1000)), info.mmapAreas());
        assertTrue(info.msixMappable());
    }

    @Test
    void mmappableRegionWithoutSparseCapIsOneArea() {
        RegionInfo info = new RegionInfo(2, VfioAbi.VFIO_REGION_INFO_FLAG_MMAP, 0x1000, 0x20000000000L, List.of());
        assertEquals(List.of(new SparseArea(0, 0x1000)), info.mmapAreas());
        assertEquals(List.of(), new RegionInfo(2, 0, 0x1000, 0, List.of()).mmapAreas());
    }

    @Test
    void unknownCapabilitiesAreKept() {
        MemorySegment buf = arena.allocate(48, 8);
        header(buf, 40, 77, 2, 0);
        assertEquals(List.of(new RegionCapability.Unknown(77, 2)), CapabilityChain.regionCaps(buf, 40));
    }

    @Test
    void iommuInfoRangesAndDmaAvail() {
        MemorySegment buf = arena.allocate(24 + 48 + 12 + 4, 8);
        header(buf, 24, VfioAbi.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1, 72);
        buf.set(JAVA_INT, 32, 2);
        buf.set(JAVA_LONG, 40, 0);
        buf.set(JAVA_LONG, 48, 0xfedf_ffffL);
        buf.set(JAVA_LONG, 56, 0xfef0_0000L);
        buf.set(JAVA_LONG, 64, 0x7f_ffff_ffffL);
        header(buf, 72, VfioAbi.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, 0);
        buf.set(JAVA_INT, 80, 65535);
        IommuInfo info = CapabilityChain.iommuInfo(buf, 0x40201000L, 24);
        assertEquals(List.of(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, 0x7f_ffff_ffffL)), info.iovaRanges());
        assertEquals(OptionalInt.of(65535), info.dmaAvailable());
        assertEquals(4096, info.minPageSize());
    }

    @Test
    void loopsAndOutOfBoundsAreRefusedNotFollowed() {
        MemorySegment buf = arena.allocate(64, 8);
        header(buf, 32, 1, 1, 48);
        header(buf, 48, 2, 1, 32);
        VfioException loop = assertThrows(VfioException.class, () -> CapabilityChain.walk(buf, 32));
        assertTrue(loop.getMessage().contains("loops back to offset 32"), loop.getMessage());
        header(buf, 48, 2, 1, 60);
        VfioException oob = assertThrows(VfioException.class, () -> CapabilityChain.walk(buf, 32));
        assertTrue(oob.getMessage().contains("outside the 64-byte info buffer"), oob.getMessage());
        // A sparse cap claiming more areas than the buffer holds.
        header(buf, 32, VfioAbi.VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, 0);
        buf.set(JAVA_INT, 40, 1000);
        assertThrows(VfioException.class, () -> CapabilityChain.regionCaps(buf, 32));
    }
}
