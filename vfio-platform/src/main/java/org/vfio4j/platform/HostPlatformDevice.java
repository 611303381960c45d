package org.vfio4j.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.eclipse.jdt.annotation.Nullable;

/**
 * What sysfs says about a host platform or AMBA device: its bus, driver, IOMMU group (and whether that is a
 * no-IOMMU group), and from its {@code of_node} the {@code compatible} list, the {@code reg} sizes and the
 * trigger type of each interrupt.
 *
 * <p>Why facts apart from the open device: a machine lays out the guest (platform-bus addresses, SPIs, the
 * device-tree node) from these alone, so {@code dumpdtb} works on any host and in tests over a synthetic
 * sysfs tree; when the device is opened, {@link VfioPlatformDevice#verify(HostPlatformDevice)} checks VFIO's
 * region and IRQ info against them.
 *
 * {@snippet :
 * HostPlatformDevice host = HostPlatformDevice.locate(Path.of("/sys"), "9010000.pl031");
 * host.checkAssignable(false);            // bound to vfio-amba, group viable, not no-IOMMU
 * List<Long> sizes = host.regSizes();     // [4096]
 * }
 */
public final class HostPlatformDevice {
    private final Path dir;
    private final String name;
    private final String bus;
    private final String driver;
    private final int group;
    private final boolean noIommu;
    private final List<String> groupBlockers;
    private final List<String> compatible;
    private final List<Long> regSizes;
    private final List<HostTrigger> triggers;

    private HostPlatformDevice(Path dir) {
        this.dir = dir;
        this.name = fileName(dir);
        this.bus = linkName(dir.resolve("subsystem"));
        this.driver = linkName(dir.resolve("driver"));
        Path groupDir = realOrNull(dir.resolve("iommu_group"));
        this.group = groupDir == null ? -1 : parseGroup(groupDir);
        this.noIommu = groupDir != null && "vfio-noiommu".equals(read(groupDir.resolve("name")));
        this.groupBlockers = groupDir == null ? List.of() : blockers(groupDir, name);
        Path of = realOrNull(dir.resolve("of_node"));
        if (of == null) {
            throw new PlatformSetupException(name + " has no device-tree node (" + dir.resolve("of_node") + " is missing): "
                    + "vfio4j describes platform devices to the guest from the host's device tree, so ACPI-enumerated "
                    + "platform devices cannot be assigned");
        }
        OfNode node = new OfNode(of);
        this.compatible = node.strings("compatible");
        this.regSizes = node.regSizes();
        this.triggers = node.interruptTriggers();
    }

    /**
     * The device named {@code name} on the platform or AMBA bus below {@code sysRoot} (normally {@code /sys}).
     *
     * @throws PlatformSetupException when neither bus has it, naming where it looked
     */
    public static HostPlatformDevice locate(Path sysRoot, String name) {
        if (name.isEmpty() || name.contains("/")) {
            throw new PlatformSetupException("'" + name + "' is not a device name; give the name as in "
                    + "/sys/bus/platform/devices (e.g. fff51000.ethernet) or /sys/bus/amba/devices (e.g. 9010000.pl031)");
        }
        for (String b : List.of("platform", "amba")) {
            Path d = sysRoot.resolve("bus/" + b + "/devices/" + name);
            if (Files.exists(d)) {
                return at(d);
            }
        }
        throw new PlatformSetupException("no host device '" + name + "' in " + sysRoot.resolve("bus/platform/devices")
                + " or " + sysRoot.resolve("bus/amba/devices") + "; list them with ls /sys/bus/platform/devices "
                + "/sys/bus/amba/devices");
    }

    /** The device whose sysfs directory is {@code deviceDir} (QEMU's {@code sysfsdev=}). */
    public static HostPlatformDevice at(Path deviceDir) {
        Path real = realOrNull(deviceDir);
        if (real == null || !Files.isDirectory(real)) {
            throw new PlatformSetupException("no host device at " + deviceDir + "; give a directory such as "
                    + "/sys/bus/platform/devices/NAME");
        }
        return new HostPlatformDevice(real);
    }

    /** The sysfs name, e.g. {@code fff51000.ethernet}. */
    public String name() {
        return name;
    }

    /** {@code platform} or {@code amba}. */
    public String bus() {
        return bus;
    }

    /** The bound driver, or {@code ""}. */
    public String driver() {
        return driver;
    }

    /** The device's sysfs directory (resolved). */
    public Path dir() {
        return dir;
    }

    /** The IOMMU group number, or -1 when the device has none. */
    public int group() {
        return group;
    }

    /** True when the group is a no-IOMMU group (/dev/vfio/noiommu-N: no isolation). */
    public boolean noIommu() {
        return noIommu;
    }

    /** The host node's {@code compatible} list, most specific first. */
    public List<String> compatible() {
        return compatible;
    }

    /** Size of each {@code reg} entry, in order (VFIO region i is reg entry i). */
    public List<Long> regSizes() {
        return regSizes;
    }

    /** Trigger of each {@code interrupts} entry, in order (VFIO IRQ index i is entry i). */
    public List<HostTrigger> triggers() {
        return triggers;
    }

    /** The VFIO driver this device's bus uses. */
    public String vfioDriver() {
        return "amba".equals(bus) ? "vfio-amba" : "vfio-platform";
    }

    /**
     * Refuses a device that cannot be assigned: not on its VFIO driver, without an IOMMU group, in a group with
     * devices on host drivers, or in a no-IOMMU group unless {@code allowNoIommu}.
     */
    public void checkAssignable(boolean allowNoIommu) {
        if (!driver.equals(vfioDriver())) {
            String now = driver.isEmpty() ? "not bound to any driver" : "bound to " + driver;
            throw new PlatformSetupException(name + " is " + now + ", not to " + vfioDriver() + "; bind it with: "
                    + bindCommand(name, bus, driver));
        }
        if (group < 0) {
            throw new PlatformSetupException(name + " has no IOMMU group (no " + dir.resolve("iommu_group") + "): load "
                    + vfioDriver() + " on a host whose IOMMU covers the device, or boot with "
                    + "vfio.enable_unsafe_noiommu_mode=1 for a device that does no DMA");
        }
        if (!groupBlockers.isEmpty()) {
            throw new PlatformSetupException("IOMMU group " + group + " of " + name + " is not viable: " + String.join("; ",
                    groupBlockers) + ". Every device of a group must be on a VFIO driver (or unbound) before any is assigned");
        }
        if (noIommu && !allowNoIommu) {
            throw new PlatformSetupException(name + " is in a no-IOMMU group (/dev/vfio/noiommu-" + group + "): nothing "
                    + "isolates it, so if it can do DMA it can read and write any host memory, and a guest driving it "
                    + "could take over the host. Assign it only if it does no DMA (e.g. a PL031 RTC or PL061 GPIO), with "
                    + "x-no-iommu=on; vfio4j then refuses every DMA mapping for it");
        }
    }

    /** The shell commands that move {@code dev} on {@code bus} from {@code driver} to its VFIO driver. */
    static String bindCommand(String dev, String bus, String driver) {
        String vfio = "amba".equals(bus) ? "vfio-amba" : "vfio-platform";
        String base = "/sys/bus/" + bus + "/devices/" + dev;
        String unbind = driver.isEmpty() ? "" : "echo " + dev + " > " + base + "/driver/unbind; ";
        return "modprobe " + vfio + "; echo " + vfio + " > " + base + "/driver_override; " + unbind + "echo " + dev
                + " > /sys/bus/" + bus + "/drivers_probe";
    }

    private static List<String> blockers(Path groupDir, String self) {
        List<String> out = new ArrayList<>();
        Path devices = groupDir.resolve("devices");
        if (!Files.isDirectory(devices)) {
            return out;
        }
        try (Stream<Path> s = Files.list(devices)) {
            for (Path d : s.sorted().toList()) {
                String n = fileName(d);
                String drv = linkName(d.resolve("driver"));
                if (!n.equals(self) && !drv.isEmpty() && !drv.startsWith("vfio")) {
                    String b = linkName(d.resolve("subsystem"));
                    out.add(n + " is on " + drv + " (" + bindCommand(n, b.isEmpty() ? "platform" : b, drv) + ")");
                }
            }
        } catch (IOException e) {
            out.add("cannot list " + devices + ": " + e.getMessage());
        }
        return out;
    }

    private static int parseGroup(Path groupDir) {
        try {
            return Integer.parseInt(fileName(groupDir));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String fileName(Path p) {
        Path f = p.getFileName();
        return f == null ? "" : f.toString();
    }

    private static @Nullable Path realOrNull(Path p) {
        try {
            return Files.exists(p) ? p.toRealPath() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String linkName(Path link) {
        Path real = realOrNull(link);
        return real == null ? "" : fileName(real);
    }

    private static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file).trim() : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public String toString() {
        return bus + " device " + name + " (" + (driver.isEmpty() ? "unbound" : driver) + ", group " + group
                + (noIommu ? ", no-IOMMU" : "") + ")";
    }
}
