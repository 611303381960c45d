package org.vfio4j.common.tool;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.vfio4j.common.IommuGroups;
import org.vfio4j.common.SysfsDevice;
import org.vfio4j.common.VfioException;

/**
 * {@code ./vfio4j groups [--json]} and {@code ./vfio4j info DEVICE [--json]}.
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

    VfioTool(IommuGroups sysfs, Path devVfio, PrintStream out) {
        this.sysfs = sysfs;
        this.devVfio = devVfio;
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(args, new VfioTool(IommuGroups.system(), Path.of("/dev/vfio"), System.out), System.err));
    }

    static int run(String[] args, VfioTool tool, PrintStream err) {
        List<String> rest = new ArrayList<>(List.of(args));
        boolean json = rest.remove("--json");
        String usage = "usage: vfio4j groups [--json] | vfio4j info DEVICE [--json]";
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
                out.printf("  %-16s %-9s %-10s %-9s %s%s%n", d.get("name"), d.get("ids"), d.get("class"), d.get("bus"),
                        "".equals(d.get("driver")) ? "(no driver)" : d.get("driver"),
                        Boolean.TRUE.equals(d.get("blocks_vfio")) ? "  <- blocks VFIO use of the group" : "");
            }
        }
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
        Map<String, Object> info = DeviceReport.collect(name, group.getAsInt(),
                Files.exists(devVfio.resolve("noiommu-" + group.getAsInt())));
        out.print(json ? Json.write(info) : DeviceReport.text(info));
    }
}
