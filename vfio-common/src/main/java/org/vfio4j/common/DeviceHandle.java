package org.vfio4j.common;

import java.util.Optional;

import org.eclipse.jdt.annotation.Nullable;

/**
 * A just-opened device fd on its way into a {@link VfioDevice} constructor.
 *
 * <p>Why a type with a package-private constructor: only {@link VfioGroup#openDevice(String, DeviceFactory)}
 * and {@link IommufdIoas#openDevice(String, DeviceFactory)} can produce one, so every {@code VfioDevice} is
 * backed by a real, usable fd, and subclasses in other modules cannot be built around arbitrary numbers.
 * Exactly one of {@link #group()} and {@link #ioas()} is present: the fd came through a group (the legacy
 * container path) or through the device's cdev bound to an iommufd.
 */
public final class DeviceHandle {
    private final @Nullable VfioGroup group;
    private final @Nullable IommufdIoas ioas;
    private final Kernel kernel;
    private final String name;
    private final int fd;

    DeviceHandle(VfioGroup group, String name, int fd) {
        this.group = group;
        this.ioas = null;
        this.kernel = group.container().kernel();
        this.name = name;
        this.fd = fd;
    }

    DeviceHandle(IommufdIoas ioas, String name, int fd) {
        this.group = null;
        this.ioas = ioas;
        this.kernel = ioas.kernel();
        this.name = name;
        this.fd = fd;
    }

    /** The group the device was opened through; empty for a device opened through its cdev. */
    public Optional<VfioGroup> group() {
        VfioGroup g = group;
        return g == null ? Optional.empty() : Optional.of(g);
    }

    /** The IOAS the device is attached to; empty for a device opened through its group. */
    public Optional<IommufdIoas> ioas() {
        IommufdIoas i = ioas;
        return i == null ? Optional.empty() : Optional.of(i);
    }

    /** The device name (PCI address or platform device name). */
    public String name() {
        return name;
    }

    Kernel kernel() {
        return kernel;
    }

    int fd() {
        return fd;
    }

    /** Tells whoever opened the fd that the device is about to close it. */
    void closing(VfioDevice d) {
        if (ioas != null) {
            ioas.deviceClosing(d, fd);
        }
    }

    /** Tells whoever opened the fd that the device closed it. */
    void closed(VfioDevice d) {
        if (group != null) {
            group.deviceClosed(d);
        } else if (ioas != null) {
            ioas.deviceClosed(d);
        }
    }
}
