package org.vfio4j.common.sys;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.vfio4j.common.sys.Layouts.field;

import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The {@code linux/vfio.h} uAPI: ioctl numbers, flag bits and struct layouts, named as in the header so a
 * reader can grep one against the other.
 *
 * <p>Why one place: every wrapper class builds its ioctl argument from these layouts; the unit test
 * {@code AbiHeaderTest} compiles a C program against the build host's {@code /usr/include/linux/vfio.h}
 * and checks every size and offset in {@link #STRUCTS} and every public constant (ioctl numbers, flags) here.
 */
public final class VfioAbi {
    private VfioAbi() {
    }

    private static final int TYPE = ';';
    private static final int BASE = 100;

    public static final int VFIO_API_VERSION = 0;
    // Extensions / IOMMU types (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU).
    public static final int VFIO_TYPE1_IOMMU = 1, VFIO_TYPE1v2_IOMMU = 3, VFIO_DMA_CC_IOMMU = 4,
            VFIO_NOIOMMU_IOMMU = 8, VFIO_UNMAP_ALL = 9, VFIO_UPDATE_VADDR = 10;

    public static final long VFIO_GET_API_VERSION = Ioctl.io(TYPE, BASE);
    public static final long VFIO_CHECK_EXTENSION = Ioctl.io(TYPE, BASE + 1);
    public static final long VFIO_SET_IOMMU = Ioctl.io(TYPE, BASE + 2);
    public static final long VFIO_GROUP_GET_STATUS = Ioctl.io(TYPE, BASE + 3);
    public static final long VFIO_GROUP_SET_CONTAINER = Ioctl.io(TYPE, BASE + 4);
    public static final long VFIO_GROUP_UNSET_CONTAINER = Ioctl.io(TYPE, BASE + 5);
    public static final long VFIO_GROUP_GET_DEVICE_FD = Ioctl.io(TYPE, BASE + 6);
    public static final long VFIO_DEVICE_GET_INFO = Ioctl.io(TYPE, BASE + 7);
    public static final long VFIO_DEVICE_GET_REGION_INFO = Ioctl.io(TYPE, BASE + 8);
    public static final long VFIO_DEVICE_GET_IRQ_INFO = Ioctl.io(TYPE, BASE + 9);
    public static final long VFIO_DEVICE_SET_IRQS = Ioctl.io(TYPE, BASE + 10);
    public static final long VFIO_DEVICE_RESET = Ioctl.io(TYPE, BASE + 11);
    public static final long VFIO_DEVICE_GET_PCI_HOT_RESET_INFO = Ioctl.io(TYPE, BASE + 12);
    public static final long VFIO_IOMMU_GET_INFO = Ioctl.io(TYPE, BASE + 12);
    public static final long VFIO_IOMMU_MAP_DMA = Ioctl.io(TYPE, BASE + 13);
    public static final long VFIO_IOMMU_UNMAP_DMA = Ioctl.io(TYPE, BASE + 14);

    public static final int VFIO_GROUP_FLAGS_VIABLE = 1, VFIO_GROUP_FLAGS_CONTAINER_SET = 2;

    public static final int VFIO_DEVICE_FLAGS_RESET = 1, VFIO_DEVICE_FLAGS_PCI = 1 << 1,
            VFIO_DEVICE_FLAGS_PLATFORM = 1 << 2, VFIO_DEVICE_FLAGS_AMBA = 1 << 3, VFIO_DEVICE_FLAGS_CCW = 1 << 4,
            VFIO_DEVICE_FLAGS_AP = 1 << 5, VFIO_DEVICE_FLAGS_FSL_MC = 1 << 6, VFIO_DEVICE_FLAGS_CAPS = 1 << 7;

    public static final int VFIO_REGION_INFO_FLAG_READ = 1, VFIO_REGION_INFO_FLAG_WRITE = 2,
            VFIO_REGION_INFO_FLAG_MMAP = 4, VFIO_REGION_INFO_FLAG_CAPS = 8;
    public static final int VFIO_REGION_INFO_CAP_SPARSE_MMAP = 1, VFIO_REGION_INFO_CAP_TYPE = 2,
            VFIO_REGION_INFO_CAP_MSIX_MAPPABLE = 3;

    public static final int VFIO_IRQ_INFO_EVENTFD = 1, VFIO_IRQ_INFO_MASKABLE = 2, VFIO_IRQ_INFO_AUTOMASKED = 4,
            VFIO_IRQ_INFO_NORESIZE = 8;
    public static final int VFIO_IRQ_SET_DATA_NONE = 1, VFIO_IRQ_SET_DATA_BOOL = 2, VFIO_IRQ_SET_DATA_EVENTFD = 4,
            VFIO_IRQ_SET_ACTION_MASK = 8, VFIO_IRQ_SET_ACTION_UNMASK = 16, VFIO_IRQ_SET_ACTION_TRIGGER = 32;

    public static final int VFIO_IOMMU_INFO_PGSIZES = 1, VFIO_IOMMU_INFO_CAPS = 2;
    public static final int VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION = 2,
            VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL = 3;
    /** The only permission bits upstream type1 has; bit 2 is VFIO_DMA_MAP_FLAG_VADDR, not an exec bit. */
    public static final int VFIO_DMA_MAP_FLAG_READ = 1, VFIO_DMA_MAP_FLAG_WRITE = 2, VFIO_DMA_MAP_FLAG_VADDR = 4;

    /** vfio-pci's fixed region and IRQ indexes. */
    public static final int VFIO_PCI_BAR0_REGION_INDEX = 0, VFIO_PCI_ROM_REGION_INDEX = 6,
            VFIO_PCI_CONFIG_REGION_INDEX = 7, VFIO_PCI_VGA_REGION_INDEX = 8;
    public static final int VFIO_PCI_INTX_IRQ_INDEX = 0, VFIO_PCI_MSI_IRQ_INDEX = 1, VFIO_PCI_MSIX_IRQ_INDEX = 2,
            VFIO_PCI_ERR_IRQ_INDEX = 3, VFIO_PCI_REQ_IRQ_INDEX = 4;

    /** {@code struct vfio_info_cap_header}: the link of every capability chain. */
    public static final class CapHeader {
        public static final StructLayout LAYOUT = header("vfio_info_cap_header");
        public static final VarHandle ID = field(LAYOUT, "id"), VERSION = field(LAYOUT, "version"),
                NEXT = field(LAYOUT, "next");
    }

    static StructLayout header(String name) {
        return structLayout(JAVA_SHORT.withName("id"), JAVA_SHORT.withName("version"), JAVA_INT.withName("next"))
                .withName(name);
    }

    /** {@code struct vfio_group_status}. */
    public static final class GroupStatus {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"))
                .withName("vfio_group_status");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags");
    }

    /** {@code struct vfio_device_info}. */
    public static final class DeviceInfo {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("num_regions"), JAVA_INT.withName("num_irqs"), JAVA_INT.withName("cap_offset"))
                .withName("vfio_device_info");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                NUM_REGIONS = field(LAYOUT, "num_regions"), NUM_IRQS = field(LAYOUT, "num_irqs"),
                CAP_OFFSET = field(LAYOUT, "cap_offset");
    }

    /** {@code struct vfio_region_info}. */
    public static final class RegionInfo {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("index"), JAVA_INT.withName("cap_offset"), JAVA_LONG.withName("size"),
                JAVA_LONG.withName("offset")).withName("vfio_region_info");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                INDEX = field(LAYOUT, "index"), CAP_OFFSET = field(LAYOUT, "cap_offset"), SIZE = field(LAYOUT, "size"),
                OFFSET = field(LAYOUT, "offset");
    }

    /** {@code struct vfio_region_info_cap_sparse_mmap} (header; the areas follow). */
    public static final class CapSparseMmap {
        public static final StructLayout LAYOUT = structLayout(header("header"), JAVA_INT.withName("nr_areas"),
                JAVA_INT.withName("reserved")).withName("vfio_region_info_cap_sparse_mmap");
        public static final VarHandle NR_AREAS = field(LAYOUT, "nr_areas");
    }

    /** {@code struct vfio_region_sparse_mmap_area}. */
    public static final class SparseMmapArea {
        public static final StructLayout LAYOUT = structLayout(JAVA_LONG.withName("offset"), JAVA_LONG.withName("size"))
                .withName("vfio_region_sparse_mmap_area");
        public static final VarHandle OFFSET = field(LAYOUT, "offset"), SIZE = field(LAYOUT, "size");
    }

    /** {@code struct vfio_region_info_cap_type}. */
    public static final class CapType {
        public static final StructLayout LAYOUT = structLayout(header("header"), JAVA_INT.withName("type"),
                JAVA_INT.withName("subtype")).withName("vfio_region_info_cap_type");
        public static final VarHandle TYPE = field(LAYOUT, "type"), SUBTYPE = field(LAYOUT, "subtype");
    }

    /** {@code struct vfio_irq_info}. */
    public static final class IrqInfo {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("index"), JAVA_INT.withName("count")).withName("vfio_irq_info");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                INDEX = field(LAYOUT, "index"), COUNT = field(LAYOUT, "count");
    }

    /** {@code struct vfio_irq_set} (header; {@code data[]} follows). */
    public static final class IrqSet {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("index"), JAVA_INT.withName("start"), JAVA_INT.withName("count"))
                .withName("vfio_irq_set");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                INDEX = field(LAYOUT, "index"), START = field(LAYOUT, "start"), COUNT = field(LAYOUT, "count");
    }

    /** {@code struct vfio_iommu_type1_info}. */
    public static final class IommuInfo {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_LONG.withName("iova_pgsizes"), JAVA_INT.withName("cap_offset"), paddingLayout(4))
                .withName("vfio_iommu_type1_info");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                IOVA_PGSIZES = field(LAYOUT, "iova_pgsizes"), CAP_OFFSET = field(LAYOUT, "cap_offset");
    }

    /** {@code struct vfio_iommu_type1_info_cap_iova_range} (header; the ranges follow). */
    public static final class CapIovaRange {
        public static final StructLayout LAYOUT = structLayout(header("header"), JAVA_INT.withName("nr_iovas"),
                JAVA_INT.withName("reserved")).withName("vfio_iommu_type1_info_cap_iova_range");
        public static final VarHandle NR_IOVAS = field(LAYOUT, "nr_iovas");
    }

    /** {@code struct vfio_iova_range}. */
    public static final class IovaRange {
        public static final StructLayout LAYOUT = structLayout(JAVA_LONG.withName("start"), JAVA_LONG.withName("end"))
                .withName("vfio_iova_range");
        public static final VarHandle START = field(LAYOUT, "start"), END = field(LAYOUT, "end");
    }

    /** {@code struct vfio_iommu_type1_info_dma_avail}. */
    public static final class CapDmaAvail {
        public static final StructLayout LAYOUT = structLayout(header("header"), JAVA_INT.withName("avail"))
                .withName("vfio_iommu_type1_info_dma_avail");
        public static final VarHandle AVAIL = field(LAYOUT, "avail");
    }

    /** {@code struct vfio_iommu_type1_dma_map}. */
    public static final class DmaMap {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_LONG.withName("vaddr"), JAVA_LONG.withName("iova"), JAVA_LONG.withName("size"))
                .withName("vfio_iommu_type1_dma_map");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                VADDR = field(LAYOUT, "vaddr"), IOVA = field(LAYOUT, "iova"), SIZE = field(LAYOUT, "size");
    }

    /** {@code struct vfio_iommu_type1_dma_unmap} (without the dirty-bitmap {@code data[]}). */
    public static final class DmaUnmap {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_LONG.withName("iova"), JAVA_LONG.withName("size")).withName("vfio_iommu_type1_dma_unmap");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                IOVA = field(LAYOUT, "iova"), SIZE = field(LAYOUT, "size");
    }

    /** {@code struct vfio_pci_hot_reset_info} (header; dependent devices follow). */
    public static final class HotResetInfo {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("count")).withName("vfio_pci_hot_reset_info");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                COUNT = field(LAYOUT, "count");
    }

    /** {@code struct vfio_pci_dependent_device}. */
    public static final class DependentDevice {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("group_id"),
                JAVA_SHORT.withName("segment"), JAVA_BYTE.withName("bus"), JAVA_BYTE.withName("devfn"))
                .withName("vfio_pci_dependent_device");
        public static final VarHandle GROUP_ID = field(LAYOUT, "group_id"), SEGMENT = field(LAYOUT, "segment"),
                BUS = field(LAYOUT, "bus"), DEVFN = field(LAYOUT, "devfn");
    }

    /** Every struct layout above, for the header check. */
    public static final List<StructLayout> STRUCTS = List.of(CapHeader.LAYOUT, GroupStatus.LAYOUT, DeviceInfo.LAYOUT,
            RegionInfo.LAYOUT, CapSparseMmap.LAYOUT, SparseMmapArea.LAYOUT, CapType.LAYOUT, IrqInfo.LAYOUT,
            IrqSet.LAYOUT, IommuInfo.LAYOUT, CapIovaRange.LAYOUT, IovaRange.LAYOUT, CapDmaAvail.LAYOUT, DmaMap.LAYOUT,
            DmaUnmap.LAYOUT, HotResetInfo.LAYOUT, DependentDevice.LAYOUT);
}
