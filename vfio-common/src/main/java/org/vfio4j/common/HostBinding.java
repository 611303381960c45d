package org.vfio4j.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Moves the devices of an IOMMU group to their VFIO driver and back, remembering the drivers they had: what
 * libvirt does for a managed hostdev and driverctl for an override, as a library call and as
 * {@code ./vfio4j bind|unbind DEVICE}.
 *
 * <p>Why the whole group: VFIO can only use a group whose every device is on a VFIO driver (bridges aside), so
 * binding one device alone leaves the group unusable. Why refuse a device in use: unbinding the nvme under a
 * mounted filesystem, or the NIC that carries the host's routes, takes the host's storage or network away at
 * once; {@code force} is there for the person who knows. The previous driver of each device is kept in a file
 * of its own under a root-owned state directory ({@code /run/vfio4j/bindings}), written before anything
 * changes, so an unbind after a crash, or from another process, still knows what to restore.
 *
 * {@snippet :
 * HostBinding host = HostBinding.system();
 * List<HostBinding.Change> done = host.bind("0000:01:00.0", false);   // nvme -> vfio-pci, and its group
 * // ... assign it ...
 * host.unbind("0000:01:00.0");                                        // vfio-pci -> nvme
 * }
 */
public final class HostBinding {
    /** One device moved from driver {@code from} to driver {@code to} ("" for none). */
    public record Change(String device, String from, String to) {
    }

    /** Writes a sysfs attribute; the kernel acts on the write (the seam unit tests use). */
    interface Writer {
        void write(Path file, String value) throws IOException;
    }

    private final Path sys;
    private final Path proc;
    private final Path state;
    private final IommuGroups groups;
    private final Writer writer;

    HostBinding(Path sys, Path proc, Path state, Writer writer) {
        this.sys = sys;
        this.proc = proc;
        this.state = state;
        this.groups = new IommuGroups(sys);
        this.writer = writer;
    }

    /** The running host: {@code /sys}, {@code /proc}, state in {@code /run/vfio4j/bindings}. */
    public static HostBinding system() {
        return new HostBinding(Path.of("/sys"), Path.of("/proc"), Path.of("/run/vfio4j/bindings"),
                (file, value) -> Files.writeString(file, value));
    }

    /**
     * Binds every device of {@code device}'s IOMMU group to its VFIO driver (bridges and devices already on one
     * stay as they are) and returns what changed. Refused, before anything changes, when a device of the group
     * is in use by the host and {@code force} is false.
     *
     * @throws VfioException naming the device, the use and what to do
     */
    public List<Change> bind(String device, boolean force) {
        List<SysfsDevice> members = members(device);
        if (!force) {
            List<String> uses = new ArrayList<>();
            for (SysfsDevice d : members) {
                inUse(d).forEach(u -> uses.add(d.name() + ": " + u));
            }
            if (!uses.isEmpty()) {
                throw VfioException.refused("bind the IOMMU group of " + device, "the host is using it: "
                        + String.join("; ", uses) + ". Stop that use first (umount, swapoff, ip link set DEV down), "
                        + "or bind with --force to take it away anyway");
            }
        }
        List<Change> changes = new ArrayList<>();
        for (SysfsDevice d : members) {
            if (d.onVfio() || d.isPciBridge() || d.driver().equals("pcieport")) {
                continue;
            }
            remember(d);
            Path dev = devicePath(d);
            write(dev.resolve("driver_override"), d.vfioDriver(), d, "set driver_override");
            if (!d.driver().isEmpty()) {
                write(dev.resolve("driver/unbind"), d.name(), d, "unbind it from " + d.driver());
            }
            write(sys.resolve("bus/" + d.bus() + "/drivers_probe"), d.name(), d, "probe it");
            String now = driverOf(d);
            if (!now.equals(d.vfioDriver())) {
                throw VfioException.refused("bind " + d.name() + " to " + d.vfioDriver(), "after probing it is on "
                        + (now.isEmpty() ? "no driver" : now) + "; load the driver (modprobe " + d.vfioDriver()
                        + ") and try again; ./vfio4j unbind " + device + " restores what was changed so far");
            }
            changes.add(new Change(d.name(), d.driver(), now));
        }
        return changes;
    }

    /**
     * Gives every device of {@code device}'s group that is on a VFIO driver back to the driver it had before
     * {@link #bind} (or, with nothing remembered, to whichever driver the kernel picks), and returns what changed.
     */
    public List<Change> unbind(String device) {
        List<Change> changes = new ArrayList<>();
        for (SysfsDevice d : members(device)) {
            Path remembered = state.resolve(d.name());
            if (!d.onVfio()) {
                deleteQuietly(remembered);
                continue;
            }
            String previous = read(remembered);
            Path dev = devicePath(d);
            write(dev.resolve("driver_override"), "\n", d, "clear driver_override");
            write(dev.resolve("driver/unbind"), d.name(), d, "unbind it from " + d.driver());
            boolean bound = false;
            if (!previous.isEmpty()) {
                try {
                    writer.write(sys.resolve("bus/" + d.bus() + "/drivers/" + previous + "/bind"), d.name());
                    bound = true;
                } catch (IOException e) {
                    // the driver is gone or refuses it: let the kernel choose below
                }
            }
            if (!bound) {
                write(sys.resolve("bus/" + d.bus() + "/drivers_probe"), d.name(), d, "probe it");
            }
            deleteQuietly(remembered);
            changes.add(new Change(d.name(), d.driver(), driverOf(d)));
        }
        return changes;
    }

    /**
     * Why the host needs {@code d} now, one phrase per use: a mounted filesystem or active swap on one of its block
     * devices, a network interface of it that is up and carries routes. Empty when nothing is seen.
     */
    public List<String> inUse(SysfsDevice d) {
        Path dev = devicePath(d);
        List<String> uses = new ArrayList<>();
        Set<String> blocks = new TreeSet<>();
        Set<String> numbers = new TreeSet<>();
        for (String name : namesBelow(dev)) {
            // an nvme namespace behind native multipath is the head nvmeXnY, its path nvmeXcZnY is below the device
            String head = name.replaceAll("^(nvme\\d+)c\\d+(n\\d+)$", "$1$2");
            Path block = sys.resolve("class/block/" + head);
            if (Files.exists(block.resolve("dev"))) {
                blocks.add(head);
                numbers.add(read(block.resolve("dev")));
                for (String part : namesBelow(block)) {
                    if (part.startsWith(head) && Files.exists(block.resolve(part).resolve("dev"))) {
                        blocks.add(part);
                        numbers.add(read(block.resolve(part).resolve("dev")));
                    }
                }
            }
        }
        for (String line : lines(proc.resolve("self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && numbers.contains(f[2])) {
                uses.add("a filesystem on its block device " + f[2] + " is mounted at " + f[4]);
            }
        }
        for (String line : lines(proc.resolve("swaps"))) {
            String name = line.split("\\s+")[0];
            String base = name.substring(name.lastIndexOf('/') + 1);
            if (blocks.contains(base)) {
                uses.add(name + " is an active swap device");
            }
        }
        Path net = dev.resolve("net");
        if (Files.isDirectory(net)) {
            try (Stream<Path> s = Files.list(net)) {
                for (Path i : s.toList()) {
                    String ifname = i.getFileName().toString();
                    if ((parseHex(read(i.resolve("flags"))) & 1) != 0 && hasRoute(ifname)) {
                        uses.add("network interface " + ifname + " is up and carries routes");
                    }
                }
            } catch (IOException e) {
                // as above
            }
        }
        return uses;
    }

    /** The names of the directories up to five levels below {@code dir} (its real path), links not followed. */
    private static Set<String> namesBelow(Path dir) {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> s = Files.walk(dir.toRealPath(), 5)) {
            s.filter(Files::isDirectory).forEach(p -> names.add(p.getFileName().toString()));
        } catch (IOException | RuntimeException e) {
            // an unreadable sysfs subtree: nothing seen there
        }
        return names;
    }

    private boolean hasRoute(String ifname) {
        for (String line : lines(proc.resolve("net/route"))) {
            if (line.startsWith(ifname + "\t")) {
                return true;
            }
        }
        for (String line : lines(proc.resolve("net/ipv6_route"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 9 && f[9].equals(ifname) && !f[0].startsWith("fe80")) {
                return true;
            }
        }
        return false;
    }

    private List<SysfsDevice> members(String device) {
        SysfsDevice d = groups.find(device);
        if (d == null) {
            throw VfioException.refused("find " + device, "no such device in sysfs; PCI devices are named like "
                    + "0000:01:00.0 (lspci -D; ./vfio4j groups lists them by IOMMU group)");
        }
        int g = groups.groupOf(device).orElseThrow(() -> VfioException.refused("bind " + device, "it has no IOMMU "
                + "group: the host has no IOMMU for it (intel_iommu=on or amd_iommu=on; Arm: an SMMU)"));
        return groups.devices(g);
    }

    private void remember(SysfsDevice d) {
        Path file = state.resolve(d.name());
        if (Files.exists(file)) {
            return; // bound before and not restored since: the first driver is the one to restore
        }
        try {
            Files.createDirectories(state);
            Files.writeString(file, d.driver() + "\n");
        } catch (IOException e) {
            throw VfioException.refused("bind " + d.name(), "cannot record its driver in " + file + " ("
                    + e.getMessage() + "); run as root");
        }
    }

    private String driverOf(SysfsDevice d) {
        SysfsDevice now = groups.find(d.name());
        return now == null ? "" : now.driver();
    }

    private Path devicePath(SysfsDevice d) {
        return sys.resolve("bus/" + d.bus() + "/devices/" + d.name());
    }

    private void write(Path file, String value, SysfsDevice d, String what) {
        try {
            writer.write(file, value);
        } catch (IOException e) {
            throw VfioException.refused(what + " for " + d.name(), "writing '" + value.strip() + "' to " + file
                    + " failed (" + e.getMessage() + "); binding needs root");
        }
    }

    private static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file).trim() : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long parseHex(String s) {
        try {
            return Long.decode(s.isEmpty() ? "0" : s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a stale record is harmless: the next bind keeps it, the next unbind tries again
        }
    }
}
