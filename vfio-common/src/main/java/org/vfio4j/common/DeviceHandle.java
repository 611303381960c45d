package org.vfio4j.common;

/**
 * A just-opened device fd on its way into a {@link VfioDevice} constructor.
 *
 * <p>Why a type with a package-private constructor: only {@link VfioGroup#openDevice(String, DeviceFactory)}
 * can produce one, so every {@code VfioDevice} is backed by a real fd from its group, and subclasses in other
 * modules cannot be built around arbitrary numbers.
 */
public final class DeviceHandle {
    private final VfioGroup group;
    private final String name;
    private final int fd;

    DeviceHandle(VfioGroup group, String name, int fd) {
        this.group = group;
        this.name = name;
        this.fd = fd;
    }

    /** The group the device was opened through. */
    public VfioGroup group() {
        return group;
    }

    /** The device name as given to VFIO_GROUP_GET_DEVICE_FD. */
    public String name() {
        return name;
    }

    int fd() {
        return fd;
    }
}
