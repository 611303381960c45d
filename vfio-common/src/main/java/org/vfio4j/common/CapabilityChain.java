package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.common.sys.VfioAbi.CapDmaAvail;
import org.vfio4j.common.sys.VfioAbi.CapHeader;
import org.vfio4j.common.sys.VfioAbi.CapIovaRange;
import org.vfio4j.common.sys.VfioAbi.CapSparseMmap;
import org.vfio4j.common.sys.VfioAbi.CapType;
import org.vfio4j.common.sys.VfioAbi.SparseMmapArea;

/**
 * Parses the {@code vfio_info_cap_header} chains that follow region and IOMMU info structs.
 *
 * <p>Why defensive: the offsets come from the kernel, but a bug there (or a wrong argsz here) must become a
 * clear exception, never an out-of-bounds read or an endless loop. Offsets are relative to the start of the
 * info struct, which is where {@code buf} starts.
 */
public final class CapabilityChain {
    /** One link: capability id, version, and its offset in the buffer. */
    public record Link(int id, int version, int offset) {
    }

    private CapabilityChain() {
    }

    /** The links starting at {@code first} (0 = no chain). */
    public static List<Link> walk(MemorySegment buf, int first) {
        List<Link> out = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        long off = Integer.toUnsignedLong(first);
        while (off != 0) {
            if (off < 8 || off + CapHeader.LAYOUT.byteSize() > buf.byteSize()) {
                throw malformed("capability at offset " + off + " lies outside the " + buf.byteSize() + "-byte info buffer");
            }
            if (!seen.add((int) off)) {
                throw malformed("capability chain loops back to offset " + off);
            }
            MemorySegment h = buf.asSlice(off);
            out.add(new Link(Short.toUnsignedInt((short) CapHeader.ID.get(h)),
                    Short.toUnsignedInt((short) CapHeader.VERSION.get(h)), (int) off));
            off = Integer.toUnsignedLong((int) CapHeader.NEXT.get(h));
        }
        return out;
    }

    /** The capabilities of a region info buffer. */
    public static List<RegionCapability> regionCaps(MemorySegment buf, int first) {
        List<RegionCapability> caps = new ArrayList<>();
        for (Link l : walk(buf, first)) {
            MemorySegment c = buf.asSlice(l.offset());
            switch (l.id()) {
                case VfioAbi.VFIO_REGION_INFO_CAP_SPARSE_MMAP -> {
                    need(c, CapSparseMmap.LAYOUT.byteSize(), "sparse mmap");
                    int n = (int) CapSparseMmap.NR_AREAS.get(c);
                    long areaSize = SparseMmapArea.LAYOUT.byteSize();
                    need(c, CapSparseMmap.LAYOUT.byteSize() + n * areaSize, "sparse mmap areas");
                    List<SparseArea> areas = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        MemorySegment a = c.asSlice(CapSparseMmap.LAYOUT.byteSize() + i * areaSize);
                        areas.add(new SparseArea((long) SparseMmapArea.OFFSET.get(a), (long) SparseMmapArea.SIZE.get(a)));
                    }
                    caps.add(new RegionCapability.SparseMmap(areas));
                }
                case VfioAbi.VFIO_REGION_INFO_CAP_TYPE -> {
                    need(c, CapType.LAYOUT.byteSize(), "type");
                    caps.add(new RegionCapability.Type((int) CapType.TYPE.get(c), (int) CapType.SUBTYPE.get(c)));
                }
                case VfioAbi.VFIO_REGION_INFO_CAP_MSIX_MAPPABLE -> caps.add(new RegionCapability.MsixMappable());
                default -> caps.add(new RegionCapability.Unknown(l.id(), l.version()));
            }
        }
        return caps;
    }

    /** The IOMMU info capabilities: valid IOVA ranges and DMA mappings available. */
    public static IommuInfo iommuInfo(MemorySegment buf, long pageSizes, int first) {
        List<IovaRange> ranges = new ArrayList<>();
        OptionalInt avail = OptionalInt.empty();
        for (Link l : walk(buf, first)) {
            MemorySegment c = buf.asSlice(l.offset());
            if (l.id() == VfioAbi.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
                need(c, CapIovaRange.LAYOUT.byteSize(), "IOVA range");
                int n = (int) CapIovaRange.NR_IOVAS.get(c);
                long rs = VfioAbi.IovaRange.LAYOUT.byteSize();
                need(c, CapIovaRange.LAYOUT.byteSize() + n * rs, "IOVA ranges");
                for (int i = 0; i < n; i++) {
                    MemorySegment r = c.asSlice(CapIovaRange.LAYOUT.byteSize() + i * rs);
                    ranges.add(new IovaRange((long) VfioAbi.IovaRange.START.get(r), (long) VfioAbi.IovaRange.END.get(r)));
                }
            } else if (l.id() == VfioAbi.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
                need(c, CapDmaAvail.LAYOUT.byteSize(), "DMA available");
                avail = OptionalInt.of((int) CapDmaAvail.AVAIL.get(c));
            }
        }
        return new IommuInfo(pageSizes, ranges, avail);
    }

    private static void need(MemorySegment cap, long bytes, String what) {
        if (cap.byteSize() < bytes) {
            throw malformed(what + " capability needs " + bytes + " bytes but only " + cap.byteSize() + " remain");
        }
    }

    private static VfioException malformed(String what) {
        return VfioException.refused("parse VFIO capability chain",
                what + "; this is a kernel/vfio4j mismatch, please report it with the kernel version (uname -r)");
    }
}
