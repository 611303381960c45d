package org.vfio4j.common.tool;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.vfio4j.common.HostBinding;
import org.vfio4j.common.IommuGroups;
import org.vfio4j.common.SysfsDevice;
import org.vfio4j.common.VfioException;

/**
 * {@code ./vfio4j groups [--json]}, {@code ./vfio4j info DEVICE [--json]} and {@code ./vfio4j bind|unbind DEVICE}.
 *
 * <p>Why: before handing a device to VFIO, a person needs to see its IOMMU group, what else is in it and on
 * which driver; after binding, what the kernel reports about its regions and IRQs. Both go through the library,
 * so the tool doubles as a smoke test of it. Exit status: 0 ok, 1 the request failed (message on stderr, no
 * stack trace), 2 usage error.
 */
public final class VfioTool {
    private final IommuGroups sysfs;
    private final Path devVfio;
    private final PrintStream out;
    private final HostBinding binding;

    VfioTool(IommuGroups sysfs, Path devVfio, PrintStream out) {
        this(sysfs, devVfio, out, HostBinding.system());
    }

    VfioTool(IommuGroups sysfs, Path devVfio, PrintStream out, HostBinding binding) {
        this.sysfs = sysfs;
        this.devVfio = devVfio;
        this.out = out;
        this.binding = binding;
    }

    public static void main(String[] args) {
        System.exit(run(args, new VfioTool(IommuGroups.system(), Path.of("/dev/vfio"), System.out), System.err));
    }

    /** Each command's usage, for {@code --help}. */
    private static final Map<String, String> HELP = new LinkedHashMap<>();

    static {
        HELP.put("groups", """
                vfio4j groups [--json]
                  every IOMMU group: its device node, whether it is viable, and each device with its IDs, class,
                  bus, driver, VFIO cdev and the backends that can open it (container, iommufd)
                """);
        HELP.put("info", """
                vfio4j info DEVICE [--json]
                  a device bound to a VFIO driver, opened through its group: flags, IOMMU page sizes and valid
                  IOVA ranges, regions (size, offset, access, mmap areas, capabilities) and IRQs
                """);
        HELP.put("bind", """
                vfio4j bind DEVICE [--force] [--json]
                  moves every device of DEVICE's IOMMU group to its VFIO driver, recording the drivers they had
                  in /run/vfio4j/bindings; refused while the host uses a device (mounted, swap, a NIC with
                  routes) unless --force
                """);
        HELP.put("unbind", """
                vfio4j unbind DEVICE [--json]
                  gives the group's devices on a VFIO driver back to the drivers bind recorded (or to the
                  kernel's choice)
                """);
    }

    /** Exit status: 0 done, 1 the request failed (one line on stderr), 2 a usage mistake. */
    static int run(String[] args, VfioTool tool, PrintStream err) {
        List<String> rest = new ArrayList<>(List.of(args));
        if (rest.remove("--help") || rest.remove("-h")) {
            String help = rest.isEmpty() ? null : HELP.get(rest.get(0));
            tool.out.print(help != null ? help : String.join("", HELP.values()));
            return 0;
        }
        boolean json = rest.remove("--json");
        boolean force = rest.remove("--force");
        String usage = "usage: vfio4j groups [--json] | vfio4j info DEVICE [--json] | vfio4j bind DEVICE [--force] "
                + "[--json] | vfio4j unbind DEVICE [--json]";
        if (rest.isEmpty()) {
            err.println(usage);
            return 2;
        }
        try {
            switch (rest.get(0)) {
                case "groups" -> {
                    if (rest.size() != 1) {
                        err.println("groups takes no arguments besides --json; " + usage);
                        return 2;
                    }
                    tool.groups(json);
                }
                case "info" -> {
                    if (rest.size() != 2) {
                        err.println("info needs exactly one DEVICE (e.g. 0000:00:04.0); " + usage);
                        return 2;
                    }
                    tool.info(rest.get(1), json);
                }
                case "bind", "unbind" -> {
                    if (rest.size() != 2) {
                        err.println(rest.get(0) + " needs exactly one DEVICE (e.g. 0000:01:00.0); " + usage);
                        return 2;
                    }
                    if (force && rest.get(0).equals("unbind")) {
                        err.println("unbind takes no --force; " + usage);
                        return 2;
                    }
                    List<HostBinding.Change> changes = rest.get(0).equals("bind") ? tool.binding.bind(rest.get(1), force)
                            : tool.binding.unbind(rest.get(1));
                    tool.changes(changes, json);
                }
                default -> {
                    err.println("unknown command '" + rest.get(0) + "'; " + usage);
                    return 2;
                }
            }
            return 0;
        } catch (VfioException | ToolException e) {
            err.println("vfio4j: " + e.getMessage());
            return 1;
        }
    }

    private void changes(List<HostBinding.Change> changes, boolean json) {
        if (json) {
            List<Map<String, Object>> l = new ArrayList<>();
            for (HostBinding.Change c : changes) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("device", c.device());
                m.put("from", c.from());
                m.put("to", c.to());
                l.add(m);
            }
            out.print(Json.write(l));
            return;
        }
        if (changes.isEmpty()) {
            out.println("nothing to change: the group's devices are already where they belong");
        }
        for (HostBinding.Change c : changes) {
            out.printf("%s: %s -> %s%n", c.device(), c.from().isEmpty() ? "(no driver)" : c.from(),
                    c.to().isEmpty() ? "(no driver)" : c.to());
        }
    }

    /** A user-facing failure of the tool itself. */
    static final class ToolException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ToolException(String message) {
            super(message);
        }
    }

    void groups(boolean json) {
        List<Integer> numbers = sysfs.groups();
        if (numbers.isEmpty()) {
            throw new ToolException("no IOMMU groups in /sys/kernel/iommu_groups: this host has no IOMMU enabled "
                    + "(boot with intel_iommu=on or amd_iommu=on; Arm needs an SMMU), and no no-IOMMU VFIO groups");
        }
        List<Map<String, Object>> groups = new ArrayList<>();
        for (int g : numbers) {
            List<SysfsDevice> devs = sysfs.devices(g);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("group", g);
            m.put("dev", devNode(g));
            m.put("viable", devs.stream().allMatch(SysfsDevice::vfioCompatible));
            List<Map<String, Object>> dl = new ArrayList<>();
            for (SysfsDevice d : devs) {
                Map<String, Object> dm = new LinkedHashMap<>();
                dm.put("name", d.name());
                dm.put("bus", d.bus());
                dm.put("ids", d.vendorDevice());
                dm.put("class", d.pciClass());
                dm.put("driver", d.driver());
                dm.put("blocks_vfio", !d.vfioCompatible());
                dm.put("cdev", cdevNode(d.name()));
                dm.put("backends", backends(g, d.name()));
                dl.add(dm);
            }
            m.put("devices", dl);
            groups.add(m);
        }
        if (json) {
            out.print(Json.write(groups));
            return;
        }
        for (Map<String, Object> m : groups) {
            out.printf("group %s  %s  %s%n", m.get("group"), m.get("dev"),
                    Boolean.TRUE.equals(m.get("viable")) ? "viable" : "NOT viable");
            for (Object o : (List<?>) m.get("devices")) {
                if (!(o instanceof Map<?, ?> d)) {
                    continue;
                }
                out.printf("  %-16s %-9s %-10s %-9s %s%s%s%n", d.get("name"), d.get("ids"), d.get("class"), d.get("bus"),
                        "".equals(d.get("driver")) ? "(no driver)" : d.get("driver"),
                        "".equals(d.get("cdev")) ? "" : "  " + d.get("cdev"),
                        Boolean.TRUE.equals(d.get("blocks_vfio")) ? "  <- blocks VFIO use of the group" : "");
            }
        }
    }

    /** The device's VFIO cdev node, or "" when it has none (not on a VFIO driver, no CONFIG_VFIO_DEVICE_CDEV, no-IOMMU). */
    private String cdevNode(String name) {
        return sysfs.cdevOf(name).map(c -> devVfio.resolve("devices").resolve(c)).filter(Files::exists)
                .map(Path::toString).orElse("");
    }

    /** How the device can be opened now: "container" (its group's node), "iommufd" (its cdev and /dev/iommu). */
    private List<String> backends(int g, String name) {
        List<String> b = new ArrayList<>();
        if (Files.exists(devVfio.resolve(Integer.toString(g))) || Files.exists(devVfio.resolve("noiommu-" + g))) {
            b.add("container");
        }
        if (!cdevNode(name).isEmpty() && Files.exists(devVfio.resolveSibling("iommu"))) {
            b.add("iommufd");
        }
        return b;
    }

    private String devNode(int g) {
        Path plain = devVfio.resolve(Integer.toString(g));
        Path noiommu = devVfio.resolve("noiommu-" + g);
        return Files.exists(plain) ? plain.toString() : Files.exists(noiommu) ? noiommu + " (no-IOMMU)" : "-";
    }

    void info(String name, boolean json) {
        SysfsDevice d = sysfs.find(name);
        if (d == null) {
            throw new ToolException("no device named '" + name + "' under /sys/bus/{pci,platform,amba}/devices; "
                    + "PCI devices are named like 0000:00:04.0 (see ./vfio4j groups)");
        }
        OptionalInt group = sysfs.groupOf(name);
        if (group.isEmpty()) {
            throw new ToolException(name + " has no IOMMU group: the host has no IOMMU for it; VFIO cannot isolate it");
        }
        if (!d.onVfio()) {
            throw new ToolException(name + (d.driver().isEmpty() ? " is bound to no driver" : " is bound to "
                    + d.driver()) + ", not " + d.vfioDriver() + "; bind it first: " + d.fix());
        }
        if (!Files.exists(devVfio.resolve("vfio"))) {
            throw new ToolException(devVfio.resolve("vfio") + " does not exist: load VFIO (modprobe vfio-pci)");
        }
        Map<String, Object> info = new LinkedHashMap<>(DeviceReport.collect(name, group.getAsInt(),
                Files.exists(devVfio.resolve("noiommu-" + group.getAsInt()))));
        info.put("cdev", cdevNode(name));
        info.put("backends", backends(group.getAsInt(), name));
        out.print(json ? Json.write(info) : DeviceReport.text(info));
    }
}
