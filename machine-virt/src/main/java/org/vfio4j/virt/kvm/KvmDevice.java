package org.vfio4j.virt.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.KvmAbi;
import org.vfio4j.common.sys.Native;

/**
 * A KVM device made with KVM_CREATE_DEVICE (the in-kernel vGICv3, its ITS): configured through device
 * attributes.
 *
 * <p>Why a class: the device fd must be closed with the VM, and every attribute call has the same shape
 * ({@code group, attr, pointer to value}).
 */
public final class KvmDevice implements AutoCloseable {
    private final int fd;
    private final int type;
    private volatile boolean closed;

    KvmDevice(int fd, int type) {
        this.fd = fd;
        this.type = type;
    }

    /** The device fd (for KVM-VFIO style users that pass it on). */
    public int fd() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        return fd;
    }

    /** KVM_SET_DEVICE_ATTR with a 64-bit value (addresses). */
    public void setAttrU64(int group, long attr, long value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_LONG);
            v.set(ValueLayout.JAVA_LONG, 0, value);
            setAttr(group, attr, v);
        }
    }

    /** KVM_SET_DEVICE_ATTR with a 32-bit value (the vGIC's number of IRQs). */
    public void setAttrU32(int group, long attr, int value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, value);
            setAttr(group, attr, v);
        }
    }

    /** KVM_SET_DEVICE_ATTR with no value (control attributes such as CTRL_INIT). */
    public void setAttr(int group, long attr) {
        setAttr(group, attr, MemorySegment.NULL);
    }

    private void setAttr(int group, long attr, MemorySegment value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = attr(a, group, attr, value);
            int r = Native.ioctl(fd(), KvmAbi.KVM_SET_DEVICE_ATTR, s);
            if (r < 0) {
                throw new KvmException("KVM_SET_DEVICE_ATTR(" + this + ", group " + group + ", attr " + attr + ")", -r,
                        -r == Errno.EBUSY ? "already set or initialised" : -r == Errno.ENXIO
                                ? "the attribute is not supported by this kernel" : "");
            }
        }
    }

    /** KVM_HAS_DEVICE_ATTR: whether the kernel supports the attribute. */
    public boolean hasAttr(int group, long attr) {
        try (Arena a = Arena.ofConfined()) {
            return Native.ioctl(fd(), KvmAbi.KVM_HAS_DEVICE_ATTR, attr(a, group, attr, MemorySegment.NULL)) == 0;
        }
    }

    private static MemorySegment attr(Arena a, int group, long attr, MemorySegment value) {
        MemorySegment s = a.allocate(KvmAbi.DeviceAttr.LAYOUT);
        KvmAbi.DeviceAttr.GROUP.set(s, group);
        KvmAbi.DeviceAttr.ATTR.set(s, attr);
        KvmAbi.DeviceAttr.ADDR.set(s, value.address());
        return s;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.close(fd);
        }
    }

    @Override
    public String toString() {
        return switch (type) {
            case ArmKvmAbi.KVM_DEV_TYPE_ARM_VGIC_V3 -> "vGICv3";
            case ArmKvmAbi.KVM_DEV_TYPE_ARM_VGIC_ITS -> "vGIC ITS";
            default -> "KVM device type " + type;
        };
    }
}
