package org.vfio4j.common;

import org.vfio4j.common.sys.VfioAbi;

/**
 * The IOMMU backends a container can use. Type1v2 is preferred (it unmaps exactly the ranges mapped and
 * reports IOVA ranges); Type1 is the fallback on old kernels; NOIOMMU gives no isolation and no DMA mapping
 * and is only used when asked for explicitly ({@link VfioContainer#openUnsafeNoIommu()}).
 */
public enum IommuType {
    TYPE1V2(VfioAbi.VFIO_TYPE1v2_IOMMU), TYPE1(VfioAbi.VFIO_TYPE1_IOMMU), NOIOMMU(VfioAbi.VFIO_NOIOMMU_IOMMU);

    private final int id;

    IommuType(int id) {
        this.id = id;
    }

    /** The value for VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU. */
    public int id() {
        return id;
    }

    /** True for the Type1 backends, which can map DMA. */
    public boolean canMapDma() {
        return this != NOIOMMU;
    }
}
