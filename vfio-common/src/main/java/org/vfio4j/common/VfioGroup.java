package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.VfioAbi;

/**
 * An IOMMU group ({@code /dev/vfio/N}) attached to a container: the unit of isolation, and the door to its
 * devices' fds.
 *
 * <p>Why separate from the container: a container can hold several groups (one IOMMU address space for all),
 * and KVM-VFIO registration is per group. Created by {@link VfioContainer#attach(int)}; closing it closes its
 * devices and takes it out of the container (the last group out drops the container's DMA mappings).
 */
public final class VfioGroup implements AutoCloseable {
    private final VfioContainer container;
    private final int number;
    private final int fd;
    private final Path path;
    private final IommuGroups sysfs;
    private final List<VfioDevice> devices = new ArrayList<>();
    private volatile boolean closed;

    VfioGroup(VfioContainer container, int number, int fd, Path path, IommuGroups sysfs) {
        this.container = container;
        this.number = number;
        this.fd = fd;
        this.path = path;
        this.sysfs = sysfs;
    }

    /** The group number (N in /dev/vfio/N). */
    public int number() {
        return number;
    }

    /** The group's device file. */
    public Path path() {
        return path;
    }

    /** The container it is attached to. */
    public VfioContainer container() {
        return container;
    }

    /** The group fd (what KVM-VFIO registration takes). Valid until {@link #close()}. */
    public int fd() {
        Check.open(closed, this);
        return fd;
    }

    /** VFIO_GROUP_GET_STATUS. */
    public GroupStatus status() {
        return queryStatus(container.kernel(), fd(), number);
    }

    static GroupStatus queryStatus(Kernel kernel, int fd, int number) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(VfioAbi.GroupStatus.LAYOUT);
            VfioAbi.GroupStatus.ARGSZ.set(s, (int) VfioAbi.GroupStatus.LAYOUT.byteSize());
            int r = kernel.ioctl(fd, VfioAbi.VFIO_GROUP_GET_STATUS, s);
            if (r < 0) {
                throw new VfioException("VFIO_GROUP_GET_STATUS of group " + number, -r, "");
            }
            return new GroupStatus((int) VfioAbi.GroupStatus.FLAGS.get(s));
        }
    }

    /** The devices sysfs lists for this group. */
    public List<SysfsDevice> members() {
        return sysfs.devices(number);
    }

    /** Opens device {@code name} (e.g. {@code 0000:00:04.0}) as a {@link PlainVfioDevice}. */
    public PlainVfioDevice openDevice(String name) {
        return openDevice(name, PlainVfioDevice::new);
    }

    /**
     * Opens device {@code name} through VFIO_GROUP_GET_DEVICE_FD and lets {@code factory} build the model
     * (vfio-pci's and vfio-platform's devices come in here). If the factory fails, the fd is closed.
     */
    public synchronized <D extends VfioDevice> D openDevice(String name, DeviceFactory<D> factory) {
        Check.open(closed, this);
        int dfd;
        try (Arena a = Arena.ofConfined()) {
            dfd = container.kernel().ioctl(fd, VfioAbi.VFIO_GROUP_GET_DEVICE_FD, a.allocateFrom(name));
        }
        if (dfd < 0) {
            List<String> names = members().stream().map(SysfsDevice::name).toList();
            String advice = switch (-dfd) {
                case Errno.EBUSY -> "the device is already open (in this or another process)";
                case Errno.EINVAL, Errno.ENODEV -> names.contains(name)
                        ? "the device is in the group but not bound to a VFIO driver: " + sysfsFix(name)
                        : "group " + number + " has no device named '" + name + "'; its devices are " + names;
                default -> "";
            };
            throw new VfioException("VFIO_GROUP_GET_DEVICE_FD for '" + name + "' in group " + number, -dfd, advice);
        }
        DeviceHandle handle = new DeviceHandle(this, name, dfd);
        D device;
        try {
            device = factory.create(handle);
        } catch (RuntimeException | Error e) {
            container.kernel().close(dfd);
            throw e;
        }
        devices.add(device);
        return device;
    }

    private String sysfsFix(String name) {
        SysfsDevice d = sysfs.find(name);
        return d == null ? "bind it to vfio-pci or vfio-platform" : d.fix();
    }

    synchronized void deviceClosed(VfioDevice d) {
        devices.remove(d);
    }

    /** The devices opened through this group and not yet closed. */
    public synchronized List<VfioDevice> devices() {
        return List.copyOf(devices);
    }

    /** Closes the open devices, leaves the container and closes the group fd; idempotent. */
    @Override
    public void close() {
        List<VfioDevice> ds;
        synchronized (this) {
            if (closed) {
                return;
            }
            ds = new ArrayList<>(devices);
        }
        for (int i = ds.size() - 1; i >= 0; i--) {
            ds.get(i).close();
        }
        synchronized (this) {
            closed = true;
            container.detach(this, fd);
            container.kernel().close(fd);
        }
    }

    @Override
    public String toString() {
        return "VFIO group " + number;
    }
}
