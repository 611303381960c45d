package org.vfio4j.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The IOMMU groups of this host as sysfs lists them ({@code /sys/kernel/iommu_groups/N/devices}).
 *
 * <p>Why: the kernel only says "not viable"; which device is in the way, and on which driver, is in sysfs.
 * The sysfs root is a parameter so the logic is tested on a synthetic tree.
 *
 * {@snippet :
 * IommuGroups sysfs = IommuGroups.system();
 * for (int g : sysfs.groups()) {
 *     System.out.println(g + " " + sysfs.devices(g));
 * }
 * }
 */
public final class IommuGroups {
    private final Path sys;

    /** Reads the groups below {@code sysRoot} (normally {@code /sys}). */
    public IommuGroups(Path sysRoot) {
        this.sys = sysRoot;
    }

    /** The groups of the running host, from {@code /sys}. */
    public static IommuGroups system() {
        return new IommuGroups(Path.of("/sys"));
    }

    /** Group numbers in ascending order; empty when the host has no IOMMU groups (no IOMMU, or none enabled). */
    public List<Integer> groups() {
        Path dir = sys.resolve("kernel/iommu_groups");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).map(Integer::valueOf)
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** The devices of group {@code group}, sorted by name. */
    public List<SysfsDevice> devices(int group) {
        Path dir = sys.resolve("kernel/iommu_groups/" + group + "/devices");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<SysfsDevice> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                out.add(describe(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return out;
    }

    /** The IOMMU group of the device named {@code name} on any bus, if it has one. */
    public OptionalInt groupOf(String name) {
        Path dev = deviceDir(name);
        Path link = dev == null ? null : dev.resolve("iommu_group");
        if (link == null || !Files.exists(link)) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(Files.readSymbolicLink(link).getFileName().toString()));
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** The devices of group {@code group} that keep it from being viable (on a host driver VFIO does not accept). */
    public List<SysfsDevice> blockers(int group) {
        return devices(group).stream().filter(d -> !d.vfioCompatible()).toList();
    }

    /**
     * The VFIO cdev of the device named {@code name} ({@code vfioN}, under {@code /dev/vfio/devices}), which sysfs
     * lists in the device's {@code vfio-dev} directory while it is bound to a VFIO driver on a kernel with
     * {@code CONFIG_VFIO_DEVICE_CDEV}.
     */
    public Optional<String> cdevOf(String name) {
        Path dev = deviceDir(name);
        Path dir = dev == null ? null : dev.resolve("vfio-dev");
        if (dir == null || !Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("vfio[0-9]+")).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The device whose VFIO cdev is {@code cdev} ({@code vfioN}), as {@code /sys/class/vfio-dev} links it. */
    public Optional<String> deviceOfCdev(String cdev) {
        Path link = sys.resolve("class/vfio-dev/" + cdev + "/device");
        try {
            Path target = Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName() : null;
            return target == null ? Optional.empty() : Optional.of(target.toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The device named {@code name} on any bus, or null when sysfs has no such device. */
    public @Nullable SysfsDevice find(String name) {
        Path dev = deviceDir(name);
        return dev == null ? null : describe(dev);
    }

    /** The device's directory under the first bus that has one of that name, or null. */
    private @Nullable Path deviceDir(String name) {
        for (String bus : List.of("pci", "platform", "amba", "fsl-mc")) {
            Path dev = sys.resolve("bus/" + bus + "/devices/" + name);
            if (Files.exists(dev)) {
                return dev;
            }
        }
        return null;
    }

    private static SysfsDevice describe(Path dev) {
        String name = dev.getFileName().toString();
        String bus = linkName(dev.resolve("subsystem"));
        String driver = linkName(dev.resolve("driver"));
        String vendor = strip(read(dev.resolve("vendor")));
        String device = strip(read(dev.resolve("device")));
        String ids = vendor.isEmpty() ? "" : vendor + ":" + device;
        return new SysfsDevice(name, bus, driver, ids, read(dev.resolve("class")));
    }

    private static String strip(String hex) {
        return hex.startsWith("0x") ? hex.substring(2) : hex;
    }

    private static String linkName(Path link) {
        try {
            if (!Files.isSymbolicLink(link)) {
                return "";
            }
            Path target = Files.readSymbolicLink(link).getFileName();
            return target == null ? "" : target.toString();
        } catch (IOException e) {
            return "";
        }
    }

    private static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file).trim() : "";
        } catch (IOException e) {
            return "";
        }
    }
}
