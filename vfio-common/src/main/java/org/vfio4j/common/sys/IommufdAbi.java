package org.vfio4j.common.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.vfio4j.common.sys.Layouts.field;

import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The iommufd uAPI ({@code linux/iommufd.h}) and the VFIO device cdev ioctls that join a device to it
 * ({@code linux/vfio.h} since Linux 6.6): ioctl numbers, flag bits and struct layouts, named as in the
 * headers.
 *
 * <p>Why apart from {@link VfioAbi}: the build host's {@code /usr/include} may be older than the cdev
 * interface, so {@code IommufdAbiHeaderTest} checks these against a 6.12 kernel's uAPI headers, while
 * {@code AbiHeaderTest} checks {@link VfioAbi} against the installed ones. Every iommufd ioctl is
 * {@code _IO} with the struct's size in its first field, as the header defines them.
 */
public final class IommufdAbi {
    private IommufdAbi() {
    }

    private static final int IOMMUFD_TYPE = ';';
    private static final int VFIO_TYPE = ';';
    private static final int VFIO_BASE = 100;

    public static final long IOMMU_DESTROY = Ioctl.io(IOMMUFD_TYPE, 0x80);
    public static final long IOMMU_IOAS_ALLOC = Ioctl.io(IOMMUFD_TYPE, 0x81);
    public static final long IOMMU_IOAS_IOVA_RANGES = Ioctl.io(IOMMUFD_TYPE, 0x84);
    public static final long IOMMU_IOAS_MAP = Ioctl.io(IOMMUFD_TYPE, 0x85);
    public static final long IOMMU_IOAS_UNMAP = Ioctl.io(IOMMUFD_TYPE, 0x86);

    public static final int IOMMU_IOAS_MAP_FIXED_IOVA = 1, IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
            IOMMU_IOAS_MAP_READABLE = 1 << 2;

    public static final long VFIO_DEVICE_BIND_IOMMUFD = Ioctl.io(VFIO_TYPE, VFIO_BASE + 18);
    public static final long VFIO_DEVICE_ATTACH_IOMMUFD_PT = Ioctl.io(VFIO_TYPE, VFIO_BASE + 19);
    public static final long VFIO_DEVICE_DETACH_IOMMUFD_PT = Ioctl.io(VFIO_TYPE, VFIO_BASE + 20);

    /** {@code struct iommu_destroy}. */
    public static final class Destroy {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("size"), JAVA_INT.withName("id"))
                .withName("iommu_destroy");
        public static final VarHandle SIZE = field(LAYOUT, "size"), ID = field(LAYOUT, "id");
    }

    /** {@code struct iommu_ioas_alloc}. */
    public static final class IoasAlloc {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("size"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("out_ioas_id")).withName("iommu_ioas_alloc");
        public static final VarHandle SIZE = field(LAYOUT, "size"), FLAGS = field(LAYOUT, "flags"),
                OUT_IOAS_ID = field(LAYOUT, "out_ioas_id");
    }

    /** {@code struct iommu_iova_range}: an inclusive range, {@code last} being its last byte. */
    public static final class IovaRange {
        public static final StructLayout LAYOUT = structLayout(JAVA_LONG.withName("start"), JAVA_LONG.withName("last"))
                .withName("iommu_iova_range");
        public static final VarHandle START = field(LAYOUT, "start"), LAST = field(LAYOUT, "last");
    }

    /** {@code struct iommu_ioas_iova_ranges}: {@code allowed_iovas} points at an array of {@link IovaRange}. */
    public static final class IoasIovaRanges {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("size"), JAVA_INT.withName("ioas_id"),
                JAVA_INT.withName("num_iovas"), JAVA_INT.withName("__reserved"), JAVA_LONG.withName("allowed_iovas"),
                JAVA_LONG.withName("out_iova_alignment")).withName("iommu_ioas_iova_ranges");
        public static final VarHandle SIZE = field(LAYOUT, "size"), IOAS_ID = field(LAYOUT, "ioas_id"),
                NUM_IOVAS = field(LAYOUT, "num_iovas"), ALLOWED_IOVAS = field(LAYOUT, "allowed_iovas"),
                OUT_IOVA_ALIGNMENT = field(LAYOUT, "out_iova_alignment");
    }

    /** {@code struct iommu_ioas_map}. */
    public static final class IoasMap {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("size"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("ioas_id"), JAVA_INT.withName("__reserved"), JAVA_LONG.withName("user_va"),
                JAVA_LONG.withName("length"), JAVA_LONG.withName("iova")).withName("iommu_ioas_map");
        public static final VarHandle SIZE = field(LAYOUT, "size"), FLAGS = field(LAYOUT, "flags"),
                IOAS_ID = field(LAYOUT, "ioas_id"), USER_VA = field(LAYOUT, "user_va"),
                LENGTH = field(LAYOUT, "length"), IOVA = field(LAYOUT, "iova");
    }

    /** {@code struct iommu_ioas_unmap}: {@code length} comes back as the bytes unmapped. */
    public static final class IoasUnmap {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("size"), JAVA_INT.withName("ioas_id"),
                JAVA_LONG.withName("iova"), JAVA_LONG.withName("length")).withName("iommu_ioas_unmap");
        public static final VarHandle SIZE = field(LAYOUT, "size"), IOAS_ID = field(LAYOUT, "ioas_id"),
                IOVA = field(LAYOUT, "iova"), LENGTH = field(LAYOUT, "length");
    }

    /** {@code struct vfio_device_bind_iommufd}. */
    public static final class DeviceBindIommufd {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("iommufd"), JAVA_INT.withName("out_devid")).withName("vfio_device_bind_iommufd");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                IOMMUFD = field(LAYOUT, "iommufd"), OUT_DEVID = field(LAYOUT, "out_devid");
    }

    /** {@code struct vfio_device_attach_iommufd_pt}: {@code pt_id} names an IOAS (or a HWPT) and comes back as the HWPT. */
    public static final class DeviceAttachIommufdPt {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("pt_id")).withName("vfio_device_attach_iommufd_pt");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags"),
                PT_ID = field(LAYOUT, "pt_id");
    }

    /** {@code struct vfio_device_detach_iommufd_pt}. */
    public static final class DeviceDetachIommufdPt {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"))
                .withName("vfio_device_detach_iommufd_pt");
        public static final VarHandle ARGSZ = field(LAYOUT, "argsz"), FLAGS = field(LAYOUT, "flags");
    }

    /** Every struct layout above, for the header check. */
    public static final List<StructLayout> STRUCTS = List.of(Destroy.LAYOUT, IoasAlloc.LAYOUT, IovaRange.LAYOUT,
            IoasIovaRanges.LAYOUT, IoasMap.LAYOUT, IoasUnmap.LAYOUT, DeviceBindIommufd.LAYOUT,
            DeviceAttachIommufdPt.LAYOUT, DeviceDetachIommufdPt.LAYOUT);
}
