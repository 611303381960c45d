package org.vfio4j.common;

import java.util.List;

import org.vfio4j.common.sys.VfioAbi;

/**
 * {@code struct vfio_region_info} with its parsed capability chain, as returned by VFIO_DEVICE_GET_REGION_INFO.
 *
 * @param index  the region index
 * @param flags  VFIO_REGION_INFO_FLAG_* bits
 * @param size   region size in bytes (0 when the device has no such region)
 * @param offset offset of the region within the device fd, for pread/pwrite/mmap
 * @param caps   the capabilities found in the chain
 */
public record RegionInfo(int index, int flags, long size, long offset, List<RegionCapability> caps) {
    public RegionInfo {
        caps = List.copyOf(caps);
    }

    public boolean readable() {
        return (flags & VfioAbi.VFIO_REGION_INFO_FLAG_READ) != 0;
    }

    public boolean writable() {
        return (flags & VfioAbi.VFIO_REGION_INFO_FLAG_WRITE) != 0;
    }

    public boolean mmappable() {
        return (flags & VfioAbi.VFIO_REGION_INFO_FLAG_MMAP) != 0;
    }

    /**
     * The areas that may be mmapped: those of the sparse-mmap capability when present, else the whole region
     * when it is mmap-able, else none.
     */
    public List<SparseArea> mmapAreas() {
        if (!mmappable() || size == 0) {
            return List.of();
        }
        for (RegionCapability c : caps) {
            if (c instanceof RegionCapability.SparseMmap s) {
                return s.areas().stream().filter(a -> a.size() > 0).toList();
            }
        }
        return List.of(new SparseArea(0, size));
    }

    /** True when the chain has the MSI-X-mappable capability. */
    public boolean msixMappable() {
        return caps.stream().anyMatch(c -> c instanceof RegionCapability.MsixMappable);
    }
}
