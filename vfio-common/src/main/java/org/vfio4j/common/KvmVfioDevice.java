package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.KvmAbi;
import org.vfio4j.common.sys.KvmAbi.CreateDevice;
import org.vfio4j.common.sys.KvmAbi.DeviceAttr;
import org.vfio4j.common.sys.Native;

/**
 * The KVM-VFIO pseudo-device of a VM ({@code KVM_DEV_TYPE_VFIO}): tells KVM which VFIO groups the VM uses, so
 * KVM can honour their DMA coherency (x86 WBINVD emulation) and, on some architectures, set up interrupt
 * bypass.
 *
 * <p>Why here: registration is per VFIO group (or per device cdev under iommufd) and must follow its lifetime; the machine owns the VM
 * fd and hands it in. One ioctl per method: KVM_CREATE_DEVICE, KVM_SET_DEVICE_ATTR (GROUP_ADD / GROUP_DEL,
 * named FILE_ADD / FILE_DEL in kernels from 6.6, same numbers).
 *
 * {@snippet :
 * try (KvmVfioDevice kvmVfio = KvmVfioDevice.create(vmFd)) {
 *     kvmVfio.add(group);
 *     // ... run the guest ...
 * }   // removes the groups again
 * }
 */
public final class KvmVfioDevice implements AutoCloseable {
    private final int fd;
    private final List<VfioGroup> groups = new ArrayList<>();
    private final List<VfioDevice> devices = new ArrayList<>();
    private boolean closed;

    private KvmVfioDevice(int fd) {
        this.fd = fd;
    }

    /** KVM_CREATE_DEVICE of type KVM_DEV_TYPE_VFIO on the VM {@code vmFd} (not owned by this object). */
    public static KvmVfioDevice create(int vmFd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(CreateDevice.LAYOUT);
            CreateDevice.TYPE.set(s, KvmAbi.KVM_DEV_TYPE_VFIO);
            int r = Native.ioctl(vmFd, KvmAbi.KVM_CREATE_DEVICE, s);
            if (r < 0) {
                throw new VfioException("KVM_CREATE_DEVICE (KVM_DEV_TYPE_VFIO) on VM fd " + vmFd, -r,
                        -r == Errno.ENODEV ? "the kernel lacks the KVM-VFIO device (CONFIG_KVM_VFIO)"
                                : -r == Errno.ENOTTY || -r == Errno.EBADF ? "the fd is not a KVM VM (from KVM_CREATE_VM)" : "");
            }
            return new KvmVfioDevice((int) CreateDevice.FD.get(s));
        }
    }

    /** The KVM device fd. */
    public int fd() {
        Check.open(closed, this);
        return fd;
    }

    /** KVM_DEV_VFIO_GROUP_ADD: the VM now uses {@code group}. */
    public synchronized void add(VfioGroup group) {
        setAttr(KvmAbi.KVM_DEV_VFIO_GROUP_ADD, group.fd(), group, "add");
        groups.add(group);
    }

    /** KVM_DEV_VFIO_GROUP_DEL. */
    public synchronized void remove(VfioGroup group) {
        setAttr(KvmAbi.KVM_DEV_VFIO_GROUP_DEL, group.fd(), group, "remove");
        groups.remove(group);
    }

    /**
     * KVM_DEV_VFIO_FILE_ADD of a device opened through its cdev (no group to register): the kernel takes a
     * device cdev fd where it took a group fd, from Linux 6.6.
     */
    public synchronized void add(VfioDevice device) {
        setAttr(KvmAbi.KVM_DEV_VFIO_GROUP_ADD, device.fd(), device, "add");
        devices.add(device);
    }

    /** KVM_DEV_VFIO_FILE_DEL of a device added with {@link #add(VfioDevice)}. */
    public synchronized void remove(VfioDevice device) {
        setAttr(KvmAbi.KVM_DEV_VFIO_GROUP_DEL, device.fd(), device, "remove");
        devices.remove(device);
    }

    /** The groups registered through this object. */
    public synchronized List<VfioGroup> groups() {
        return List.copyOf(groups);
    }

    /** The cdev devices registered through this object. */
    public synchronized List<VfioDevice> devices() {
        return List.copyOf(devices);
    }

    private void setAttr(int attr, int file, Object what, String verb) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment gfd = a.allocateFrom(ValueLayout.JAVA_INT, file);
            MemorySegment s = a.allocate(DeviceAttr.LAYOUT);
            DeviceAttr.GROUP.set(s, KvmAbi.KVM_DEV_VFIO_GROUP);
            DeviceAttr.ATTR.set(s, (long) attr);
            DeviceAttr.ADDR.set(s, gfd.address());
            int r = Native.ioctl(fd(), KvmAbi.KVM_SET_DEVICE_ATTR, s);
            if (r < 0) {
                throw new VfioException("KVM-VFIO " + verb + " of " + what, -r, switch (-r) {
                    case Errno.EEXIST -> "it is already registered with this VM";
                    case Errno.ENOENT -> "it is not registered with this VM";
                    case Errno.EBADF -> what instanceof VfioDevice
                            ? "the kernel takes no device cdev here (KVM_DEV_VFIO_FILE_ADD needs Linux 6.6 or later)" : "";
                    default -> "";
                });
            }
        }
    }

    /** Removes the registered groups (groups already closed are skipped) and closes the device fd. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        for (VfioGroup g : List.copyOf(groups)) {
            try {
                remove(g);
            } catch (IllegalStateException | VfioException e) {
                // a closed group was already dropped by the kernel
            }
        }
        for (VfioDevice d : List.copyOf(devices)) {
            try {
                remove(d);
            } catch (IllegalStateException | VfioException e) {
                // a closed device was already dropped by the kernel
            }
        }
        closed = true;
        Native.close(fd);
    }
}
