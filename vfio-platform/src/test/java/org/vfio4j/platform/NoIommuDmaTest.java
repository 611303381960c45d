package org.vfio4j.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.FakeVfioKernel;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.sys.VfioAbi;

/**
 * {@link VfioPlatformDevice#mapDma} on a fake VFIO kernel: a device in a no-IOMMU container gets no mapping
 * and is told why; one behind an IOMMU gets exactly the mapping asked for, read/write.
 */
class NoIommuDmaTest {
    private static final String RTC = "9010000.pl031";

    @Test
    void withoutAnIommuTheMappingIsRefusedAndNothingReachesTheKernel() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(3).noIommu().device(RTC, VfioAbi.VFIO_DEVICE_FLAGS_AMBA).region(0x1000);
        try (VfioContainer c = k.openUnsafeNoIommu(); Arena a = Arena.ofShared()) {
            VfioPlatformDevice dev = c.attach(3).openDevice(RTC, VfioPlatformDevice::new);
            PlatformSetupException e = assertThrows(PlatformSetupException.class,
                    () -> dev.mapDma(a, a.allocate(4096, 4096), 0x100000));
            assertTrue(e.getMessage().contains(RTC + " is assigned without an IOMMU (x-no-iommu=on): refusing the DMA "
                    + "mapping of 4096 bytes at IOVA 0x100000"), e.getMessage());
            assertTrue(e.getMessage().contains("Only devices that do no DMA"), e.getMessage());
        }
        assertTrue(k.calls().stream().noneMatch(s -> s.startsWith("VFIO_IOMMU_MAP_DMA")), k.calls().toString());
    }

    @Test
    void behindAnIommuTheDeviceGetsTheMappingItAskedFor() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(4).device(RTC, VfioAbi.VFIO_DEVICE_FLAGS_AMBA).region(0x1000);
        try (VfioContainer c = k.openContainer(); Arena a = Arena.ofShared()) {
            VfioPlatformDevice dev = c.attach(4).openDevice(RTC, VfioPlatformDevice::new);
            var seg = a.allocate(8192, 4096);
            dev.mapDma(a, seg, 0x100000);
            assertEquals(List.of(new FakeVfioKernel.Mapping(0x100000, 8192, seg.address(),
                    VfioAbi.VFIO_DMA_MAP_FLAG_READ | VfioAbi.VFIO_DMA_MAP_FLAG_WRITE)), k.mappings());
        }
        assertEquals(0, k.openFds());
    }
}
