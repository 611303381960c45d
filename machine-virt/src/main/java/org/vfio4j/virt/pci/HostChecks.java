package org.vfio4j.virt.pci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.IommuGroups;
import org.vfio4j.common.SysfsDevice;
import org.vfio4j.virt.board.Sizes;
import org.vfio4j.virt.device.DeviceException;

/**
 * What must hold on the host before a PCI function can be assigned, checked from sysfs and {@code /proc}
 * without opening anything: the device exists, it is bound to vfio-pci, its IOMMU group is viable, and the
 * process may pin guest RAM.
 *
 * <p>Why before the machine runs: each of these would otherwise surface as an errno from an ioctl deep in
 * the start-up (ENODEV, EPERM, ENOMEM from VFIO_IOMMU_MAP_DMA); here each gets a message that names the
 * device and says what to type.
 */
final class HostChecks {
    /** Linux capability number of CAP_IPC_LOCK: with it, pinned memory is not limited by RLIMIT_MEMLOCK. */
    private static final int CAP_IPC_LOCK = 14;

    private final IommuGroups sysfs;
    private final Path proc;

    HostChecks(IommuGroups sysfs, Path proc) {
        this.sysfs = sysfs;
        this.proc = proc;
    }

    static HostChecks system() {
        return new HostChecks(IommuGroups.system(), Path.of("/proc"));
    }

    /**
     * The PCI address of the device whose cdev this process holds as fd {@code fd} (handed in by whoever started
     * it), read from {@code /proc/self/fd} and sysfs.
     */
    String cdevHost(String id, int fd) throws DeviceException {
        String file = openFile(id, "fd=" + fd, fd);
        String prefix = "/dev/vfio/devices/";
        if (!file.startsWith(prefix)) {
            throw new DeviceException(id + ": fd=" + fd + " is " + file + ", not a VFIO device cdev ("
                    + prefix + "vfioN); hand in the device's cdev");
        }
        String cdev = file.substring(prefix.length());
        return sysfs.deviceOfCdev(cdev).orElseThrow(() -> new DeviceException(id + ": fd=" + fd + " is " + file
                + ", but sysfs shows no device for " + cdev + " (/sys/class/vfio-dev/" + cdev + ")"));
    }

    /** Checks that fd {@code fd}, handed in for {@code -object iommufd,id=ID}, is an open {@code /dev/iommu}. */
    void iommufdFd(String what, int fd) throws DeviceException {
        String file = openFile(what, "fd=" + fd, fd);
        if (!file.equals("/dev/iommu")) {
            throw new DeviceException(what + ": fd=" + fd + " is " + file + ", not /dev/iommu; hand in an open "
                    + "/dev/iommu (sh: exec " + fd + "<>/dev/iommu)");
        }
    }

    private String openFile(String id, String option, int fd) throws DeviceException {
        Path link = proc.resolve("self/fd/" + fd);
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            throw new DeviceException(id + ": " + option + " is not an open file descriptor of this process; the "
                    + "process that starts the VMM opens it and leaves it open across exec (sh: exec " + fd
                    + "<>FILE)");
        }
    }

    /** The IOMMU group of {@code bdf}, after checking it is a PCI device on vfio-pci in a viable group. */
    int assignable(String id, String bdf) throws DeviceException {
        SysfsDevice d = sysfs.find(bdf);
        if (d == null || !d.bus().equals("pci")) {
            throw new DeviceException(id + ": no PCI device " + bdf + " on this host (lspci -D lists them; "
                    + "./vfio4j groups lists the IOMMU groups)");
        }
        if (!d.driver().equals("vfio-pci")) {
            throw new DeviceException(id + ": host device " + bdf + (d.vendorDevice().isEmpty() ? "" : " [" + d.vendorDevice() + "]")
                    + (d.driver().isEmpty() ? " is bound to no driver" : " is bound to " + d.driver())
                    + ", not vfio-pci; bind it to vfio-pci first: " + d.fix());
        }
        OptionalInt group = sysfs.groupOf(bdf);
        if (group.isEmpty()) {
            throw new DeviceException(id + ": host device " + bdf + " has no IOMMU group; assignment needs an IOMMU "
                    + "(Arm: an SMMU; x86: intel_iommu=on or amd_iommu=on)");
        }
        List<SysfsDevice> offenders = sysfs.blockers(group.getAsInt());
        if (!offenders.isEmpty()) {
            StringBuilder b = new StringBuilder(id + ": IOMMU group " + group.getAsInt() + " of " + bdf
                    + " is not viable: every device in it must be on vfio-pci or unbound, but");
            for (SysfsDevice o : offenders) {
                b.append("\n  ").append(o.name()).append(" is bound to ").append(o.driver()).append("; fix: ").append(o.fix());
            }
            throw new DeviceException(b.toString());
        }
        return group.getAsInt();
    }

    /**
     * Refuses when the process cannot pin {@code ramBytes} of guest RAM for DMA: no CAP_IPC_LOCK and an
     * RLIMIT_MEMLOCK below the RAM size.
     */
    void canPin(String id, long ramBytes) throws DeviceException {
        if (hasIpcLock()) {
            return;
        }
        long limit = memlockLimit();
        if (limit >= 0 && limit < ramBytes) {
            throw new DeviceException(id + ": the guest's RAM (" + Sizes.human(ramBytes) + ") must be pinned for the "
                    + "device's DMA, but RLIMIT_MEMLOCK is " + Sizes.human(limit) + "; raise it to at least "
                    + Sizes.human(ramBytes) + " (ulimit -l " + (ramBytes >> 10) + ", or LimitMEMLOCK= in a systemd unit) "
                    + "or run with CAP_IPC_LOCK");
        }
    }

    private boolean hasIpcLock() {
        String hex = field(proc.resolve("self/status"), "CapEff:");
        return hex != null && (Long.parseUnsignedLong(hex.trim(), 16) >>> CAP_IPC_LOCK & 1) != 0;
    }

    /** The soft RLIMIT_MEMLOCK in bytes, -1 when unlimited or unknown. */
    private long memlockLimit() {
        String row = field(proc.resolve("self/limits"), "Max locked memory");
        if (row == null) {
            return -1;
        }
        String soft = row.trim().split("\\s+")[0];
        return soft.equals("unlimited") ? -1 : Long.parseLong(soft);
    }

    private static @Nullable String field(Path file, String prefix) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(prefix)) {
                    return line.substring(prefix.length());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc unreadable: nothing to check against
        }
        return null;
    }
}
