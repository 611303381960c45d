package org.vfio4j.virt.run;

import java.util.HashMap;
import java.util.Map;

import org.vfio4j.common.IommufdIoas;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;
import org.vfio4j.virt.IommufdObject;

/**
 * The open files behind the machine's {@code -object iommufd}s, held for the whole run: each boot's IOAS is
 * made in a copy of one, so every boot's devices join the same iommufd.
 *
 * <p>Why the run and not the boot: a device cdev handed in stays bound to the iommufd its first boot bound it
 * to for as long as its open file lives, which is the whole run (the VMM cannot reopen it). A {@code /dev/iommu}
 * the VMM opens itself is opened on first use and closed at the end; one handed in ({@code fd=}) is the
 * caller's, left open.
 */
final class IommufdFiles implements AutoCloseable {
    private final Map<String, IommufdObject> objects;
    private final Map<String, Integer> opened = new HashMap<>();

    IommufdFiles(Map<String, IommufdObject> objects) {
        this.objects = objects;
    }

    /** A close-on-exec copy of the iommufd of object {@code id}, which the caller owns. */
    synchronized int copyOf(String id) {
        IommufdObject o = objects.get(id);
        if (o == null) {
            throw new IllegalArgumentException("no -object iommufd,id=" + id + " in this machine");
        }
        int fd = o.handedIn() ? o.fd() : opened.computeIfAbsent(id, k -> IommufdIoas.openIommufd());
        int copy = Native.dupCloexec(fd);
        if (copy < 0) {
            throw new VfioException("copy of the iommufd of -object iommufd,id=" + id + " (fd " + fd + ")", -copy,
                    -copy == Errno.EBADF ? "the fd is not open in this process" : "");
        }
        return copy;
    }

    @Override
    public synchronized void close() {
        opened.values().forEach(Native::close);
        opened.clear();
    }
}
