package org.vfio4j.platform;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A device in a no-IOMMU container gets no DMA mapping; one behind an IOMMU does. */
class NoIommuDmaTest {
    @Test
    void dmaIsRefusedWithoutIommuAndExplained() {
        PlatformSetupException e = assertThrows(PlatformSetupException.class,
                () -> VfioPlatformDevice.refuseDmaWithoutIommu("9010000.pl031", true, 4096, 0x100000));
        assertTrue(e.getMessage().contains("9010000.pl031 is assigned without an IOMMU (x-no-iommu=on): refusing the DMA "
                + "mapping of 4096 bytes at IOVA 0x100000"), e.getMessage());
        assertTrue(e.getMessage().contains("Only devices that do no DMA"), e.getMessage());
        assertDoesNotThrow(() -> VfioPlatformDevice.refuseDmaWithoutIommu("fff50000.ethernet", false, 4096, 0x100000));
    }
}
