package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.VfioAbi;

/** VFIO_DEVICE_GET_REGION_INFO with the two-step argsz protocol for capability chains. */
final class RegionInfoQuery {
    private RegionInfoQuery() {
    }

    static RegionInfo query(Kernel kernel, int fd, String device, int index) {
        long size = VfioAbi.RegionInfo.LAYOUT.byteSize();
        for (int attempt = 0; attempt < 3; attempt++) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(size, 8);
                VfioAbi.RegionInfo.ARGSZ.set(s, (int) size);
                VfioAbi.RegionInfo.INDEX.set(s, index);
                int r = kernel.ioctl(fd, VfioAbi.VFIO_DEVICE_GET_REGION_INFO, s);
                if (r == -Errno.EINVAL) {
                    // An index below num_regions the device does not implement (vfio-pci: the VGA region of a
                    // non-VGA device): the kernel's way of saying "no such region". Size 0, no access.
                    return new RegionInfo(index, 0, 0, 0, List.of());
                }
                if (r < 0) {
                    throw new VfioException("VFIO_DEVICE_GET_REGION_INFO " + index + " of " + device, -r, "");
                }
                int argsz = (int) VfioAbi.RegionInfo.ARGSZ.get(s);
                if (argsz > size) {
                    size = argsz; // capabilities did not fit; the kernel told us how much it needs
                    continue;
                }
                int flags = (int) VfioAbi.RegionInfo.FLAGS.get(s);
                List<RegionCapability> caps = (flags & VfioAbi.VFIO_REGION_INFO_FLAG_CAPS) != 0
                        ? CapabilityChain.regionCaps(s, (int) VfioAbi.RegionInfo.CAP_OFFSET.get(s))
                        : List.of();
                return new RegionInfo(index, flags, (long) VfioAbi.RegionInfo.SIZE.get(s),
                        (long) VfioAbi.RegionInfo.OFFSET.get(s), caps);
            }
        }
        throw VfioException.refused("VFIO_DEVICE_GET_REGION_INFO " + index + " of " + device,
                "the kernel kept asking for a larger buffer");
    }
}
