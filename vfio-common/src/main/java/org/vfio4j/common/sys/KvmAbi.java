package org.vfio4j.common.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.vfio4j.common.sys.Layouts.field;

import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The slice of {@code linux/kvm.h} that VFIO needs: creating the KVM-VFIO pseudo-device on a VM fd and
 * registering groups with it, plus {@code struct kvm_irqfd} for the machines that implement the irqfd seam.
 *
 * <p>Why here and not in machine-virt: the KVM-VFIO device is how a VFIO group tells KVM about itself
 * (coherency, and on some architectures the interrupt remapping), which is VFIO's business; the rest of KVM
 * stays in the machine. Checked against the build host's header like {@link VfioAbi}.
 */
public final class KvmAbi {
    private KvmAbi() {
    }

    private static final int KVMIO = 0xAE;

    /** {@code struct kvm_create_device}. */
    public static final class CreateDevice {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("type"), JAVA_INT.withName("fd"),
                JAVA_INT.withName("flags")).withName("kvm_create_device");
        public static final VarHandle TYPE = field(LAYOUT, "type"), FD = field(LAYOUT, "fd"),
                FLAGS = field(LAYOUT, "flags");
    }

    /** {@code struct kvm_device_attr}. */
    public static final class DeviceAttr {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("flags"), JAVA_INT.withName("group"),
                JAVA_LONG.withName("attr"), JAVA_LONG.withName("addr")).withName("kvm_device_attr");
        public static final VarHandle FLAGS = field(LAYOUT, "flags"), GROUP = field(LAYOUT, "group"),
                ATTR = field(LAYOUT, "attr"), ADDR = field(LAYOUT, "addr");
    }

    /** {@code struct kvm_irqfd}. */
    public static final class Irqfd {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("fd"), JAVA_INT.withName("gsi"),
                JAVA_INT.withName("flags"), JAVA_INT.withName("resamplefd"),
                sequenceLayout(16, JAVA_BYTE).withName("pad")).withName("kvm_irqfd");
        public static final VarHandle FD = field(LAYOUT, "fd"), GSI = field(LAYOUT, "gsi"),
                FLAGS = field(LAYOUT, "flags"), RESAMPLEFD = field(LAYOUT, "resamplefd");
    }

    public static final long KVM_GET_API_VERSION = Ioctl.io(KVMIO, 0x00);
    public static final long KVM_CREATE_VM = Ioctl.io(KVMIO, 0x01);
    public static final long KVM_CHECK_EXTENSION = Ioctl.io(KVMIO, 0x03);
    public static final long KVM_IRQFD = Ioctl.iow(KVMIO, 0x76, Irqfd.LAYOUT.byteSize());
    public static final long KVM_CREATE_DEVICE = Ioctl.iowr(KVMIO, 0xe0, CreateDevice.LAYOUT.byteSize());
    public static final long KVM_SET_DEVICE_ATTR = Ioctl.iow(KVMIO, 0xe1, DeviceAttr.LAYOUT.byteSize());
    public static final long KVM_HAS_DEVICE_ATTR = Ioctl.iow(KVMIO, 0xe3, DeviceAttr.LAYOUT.byteSize());

    public static final int KVM_API_VERSION = 12;
    public static final int KVM_CREATE_DEVICE_TEST = 1;
    public static final int KVM_DEV_TYPE_VFIO = 4;
    /** KVM_DEV_VFIO_FILE and its ADD/DEL in kernels >= 6.6 are the same numbers as the GROUP names. */
    public static final int KVM_DEV_VFIO_GROUP = 1, KVM_DEV_VFIO_GROUP_ADD = 1, KVM_DEV_VFIO_GROUP_DEL = 2;
    public static final int KVM_IRQFD_FLAG_DEASSIGN = 1, KVM_IRQFD_FLAG_RESAMPLE = 2;

    /** Every struct layout above, for the header check. */
    public static final List<StructLayout> STRUCTS = List.of(CreateDevice.LAYOUT, DeviceAttr.LAYOUT, Irqfd.LAYOUT);
}
