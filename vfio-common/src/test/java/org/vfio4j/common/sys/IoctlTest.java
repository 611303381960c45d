package org.vfio4j.common.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The _IOC encoding against values computed by hand from asm-generic/ioctl.h. */
class IoctlTest {
    @Test
    void vfioRequestsAreIoSemicolon100PlusN() {
        assertEquals(0x3b64L, VfioAbi.VFIO_GET_API_VERSION);
        assertEquals(0x3b71L, VfioAbi.VFIO_IOMMU_MAP_DMA);
        assertEquals(0x3b72L, VfioAbi.VFIO_IOMMU_UNMAP_DMA);
        assertEquals(VfioAbi.VFIO_IOMMU_GET_INFO, VfioAbi.VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "both are 100+12");
    }

    @Test
    void directionAndSizeBits() {
        assertEquals(0xc00caee0L, KvmAbi.KVM_CREATE_DEVICE); // _IOWR(0xAE, 0xe0, 12 bytes)
        assertEquals(0x4018aee1L, KvmAbi.KVM_SET_DEVICE_ATTR); // _IOW(0xAE, 0xe1, 24 bytes)
        assertEquals(0x4020ae76L, KvmAbi.KVM_IRQFD);
        assertEquals(0x8004_0000L | 'x' << 8 | 1, Ioctl.ior('x', 1, 4));
    }

    @Test
    void sizeMustFitFourteenBits() {
        assertThrows(IllegalArgumentException.class, () -> Ioctl.iow('x', 1, 1 << 14));
    }
}
