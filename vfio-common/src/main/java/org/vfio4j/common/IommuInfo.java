package org.vfio4j.common;

import java.util.List;
import java.util.OptionalInt;

/**
 * {@code struct vfio_iommu_type1_info} with its capabilities, as returned by VFIO_IOMMU_GET_INFO.
 *
 * @param pageSizes    bitmap of supported IOMMU page sizes (the lowest set bit is the mapping granule)
 * @param iovaRanges   the valid IOVA ranges; empty when the kernel does not report them (then everything is
 *                     assumed valid and the kernel has the last word)
 * @param dmaAvailable the number of further DMA mappings the kernel allows (vfio_iommu_type1's
 *                     {@code dma_entry_limit}), if reported
 */
public record IommuInfo(long pageSizes, List<IovaRange> iovaRanges, OptionalInt dmaAvailable) {
    public IommuInfo {
        iovaRanges = List.copyOf(iovaRanges);
    }

    /** The smallest IOMMU page size (4096 on x86 and on arm64 with 4K pages). */
    public long minPageSize() {
        return pageSizes == 0 ? 4096 : Long.lowestOneBit(pageSizes);
    }
}
