package org.vfio4j.lab;

import static org.vfio4j.lab.Demo.say;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The part of {@link Demo} that runs inside the aarch64 lab host: the IOMMU groups, the NVMe controller bound
 * to vfio-pci, opened through the library ({@code vfio4j info}), then assigned to a machine-virt guest
 * ({@link DemoGuest}). Prints a {@code demo-result} line the build-host side turns into the verdict.
 *
 * <p>Why the VMM runs as its own process ({@code ./vfio4j virt}): that is how a person runs it, and this
 * module (test infrastructure) must not depend on the framework it tests.
 */
final class DemoInLab {
    /** MiB the guest writes and reads back. */
    static final int MIB = 16;

    private DemoInLab() {
    }

    static int run() {
        LabHost host = new LabHost();
        String launcher = System.getProperty("vfio4j.launcher", "");
        if (launcher.isEmpty()) {
            say("   no -Dvfio4j.launcher: run the demo through ./vfio4j demo");
            return 1;
        }
        say("2. inside the lab host (" + host.sh("uname -m -r").output().strip() + "), the IOMMU groups the SMMUv3 gives:");
        if (!listGroups()) {
            return 1;
        }
        LabDevice nvme = LabDevice.NVME;
        say("3. taking the NVMe controller " + nvme.bdf() + " from its host driver '" + host.driver(nvme) + "':");
        say("   echo " + nvme.bdf() + " > .../driver/unbind; echo vfio-pci > .../driver_override;"
                + " echo " + nvme.bdf() + " > /sys/bus/pci/drivers_probe");
        String group = host.bindToVfio(nvme);
        say("   now bound to '" + host.driver(nvme) + "': /dev/vfio/" + group);
        say("4. opening it through vfio4j (container, group " + group + ", device fd; regions and IRQs from the kernel):");
        LabResult info = host.sh("VFIO4J_NO_BUILD=1 " + launcher + " info " + nvme.bdf());
        say(info.output().stripTrailing().indent(3).stripTrailing());
        if (info.status() != 0) {
            say("   vfio4j info failed with status " + info.status());
            return 1;
        }
        DemoGuest.Result r;
        try {
            r = DemoGuest.run(launcher, nvme, MIB);
        } catch (IOException e) {
            say("   the guest could not be prepared: " + e.getMessage());
            return 1;
        }
        if (!r.ok()) {
            say("   " + r.problem());
            return 1;
        }
        say(String.format("demo-result group=%s mib=%d write=%s read=%s msix=%d boot=%s", group, MIB, r.writeRate(),
                r.readRate(), r.msix(), r.bootSeconds()));
        return 0;
    }

    private static boolean listGroups() {
        try (var dirs = Files.list(Path.of("/sys/kernel/iommu_groups"))) {
            List<Path> sorted = new ArrayList<>(dirs.toList());
            sorted.sort(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString())));
            for (Path g : sorted) {
                try (var devs = Files.list(g.resolve("devices"))) {
                    for (Path d : devs.sorted().toList()) {
                        say("   group " + g.getFileName() + ": " + describe(d));
                    }
                }
            }
            return true;
        } catch (IOException e) {
            say("   cannot list /sys/kernel/iommu_groups: " + e.getMessage());
            return false;
        }
    }

    private static String describe(Path dev) throws IOException {
        String bdf = dev.getFileName().toString();
        String id = read(dev.resolve("vendor")) + ":" + read(dev.resolve("device"));
        Path drv = dev.resolve("driver");
        String driver = Files.isSymbolicLink(drv) ? Files.readSymbolicLink(drv).getFileName().toString() : "(no driver)";
        String name = "";
        for (LabDevice d : LabDevice.values()) {
            if (d.bdf().equals(bdf)) {
                name = "  <- LabDevice." + d;
            }
        }
        return bdf + "  " + id + "  " + driver + name;
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p).strip().replace("0x", "");
    }
}
