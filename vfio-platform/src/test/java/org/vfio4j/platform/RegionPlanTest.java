package org.vfio4j.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.RegionCapability;
import org.vfio4j.common.RegionInfo;
import org.vfio4j.common.SparseArea;
import org.vfio4j.common.sys.VfioAbi;

/** Mapped and trapped parts of a region. */
class RegionPlanTest {
    private static final int RW = VfioAbi.VFIO_REGION_INFO_FLAG_READ | VfioAbi.VFIO_REGION_INFO_FLAG_WRITE;

    @Test
    void mmappableRegionIsMappedWhole() {
        RegionInfo r = new RegionInfo(0, RW | VfioAbi.VFIO_REGION_INFO_FLAG_MMAP, 0x1000, 0, List.of());
        assertEquals(List.of(new RegionPlan.Mapped(new SparseArea(0, 0x1000))), RegionPlan.of(r, false).pieces());
    }

    @Test
    void regionThatCannotBeMmappedIsTrapped() {
        RegionInfo r = new RegionInfo(1, RW, 0x1000, 0, List.of());
        assertEquals(List.of(new RegionPlan.Trapped(0, 0x1000)), RegionPlan.of(r, false).pieces());
    }

    @Test
    void sparseAreasAreMappedAndTheGapsTrapped() {
        RegionInfo r = new RegionInfo(0, RW | VfioAbi.VFIO_REGION_INFO_FLAG_MMAP, 0x4000, 0,
                List.of(new RegionCapability.SparseMmap(List.of(new SparseArea(0x2000, 0x1000), new SparseArea(0x1000, 0x1000)))));
        assertEquals(List.of(new RegionPlan.Trapped(0, 0x1000), new RegionPlan.Mapped(new SparseArea(0x1000, 0x1000)),
                new RegionPlan.Mapped(new SparseArea(0x2000, 0x1000)), new RegionPlan.Trapped(0x3000, 0x1000)),
                RegionPlan.of(r, false).pieces());
    }

    @Test
    void trapAllIgnoresMmapAreas() {
        RegionInfo r = new RegionInfo(0, RW | VfioAbi.VFIO_REGION_INFO_FLAG_MMAP, 0x1000, 0, List.of());
        assertEquals(List.of(new RegionPlan.Trapped(0, 0x1000)), RegionPlan.of(r, true).pieces());
    }
}
