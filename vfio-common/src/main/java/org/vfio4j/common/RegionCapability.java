package org.vfio4j.common;

import java.util.List;

/**
 * A capability from a region's info chain. Sealed: these are the ones vfio4j interprets; anything else is
 * kept as {@link Unknown} so a tool can still show it.
 */
public sealed interface RegionCapability {
    /** VFIO_REGION_INFO_CAP_SPARSE_MMAP: only these areas of the region may be mmapped. */
    record SparseMmap(List<SparseArea> areas) implements RegionCapability {
        public SparseMmap {
            areas = List.copyOf(areas);
        }
    }

    /** VFIO_REGION_INFO_CAP_TYPE: a device-specific region's type and subtype. */
    record Type(int type, int subtype) implements RegionCapability {
    }

    /** VFIO_REGION_INFO_CAP_MSIX_MAPPABLE: the MSI-X table of this BAR may be mmapped too. */
    record MsixMappable() implements RegionCapability {
    }

    /** A capability vfio4j does not interpret. */
    record Unknown(int id, int version) implements RegionCapability {
    }
}
