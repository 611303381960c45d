package org.vfio4j.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./vfio4j demo}: the main job on its built-in default, narrated.
 *
 * <p>Why: it is the first thing a newcomer runs, so it shows what the framework stands on: a host
 * with an IOMMU whose groups hold real PCI devices, and one of them (the NVMe controller) taken
 * from its host driver and handed to vfio-pci, appearing as {@code /dev/vfio/N}. It boots the lab
 * host and re-runs itself there (same JDK, same class path); the part inside uses {@link LabHost}.
 * Later issues grow it into booting an ARM virt guest with that device assigned. Ends with a
 * one-line verdict; exits 0 only when everything it claims was checked.
 */
public final class Demo {
    private static final String IN_LAB = "--in-lab";
    private static final Pattern RESULT = Pattern.compile("^demo-result groups=(\\d+) nvme-group=(\\d+)$", Pattern.MULTILINE);

    private Demo() {
    }

    /** Entry point on the build host (or, with {@code --in-lab}, inside the lab host). */
    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals(IN_LAB) && Lab.inLab()) {
            System.exit(inLab());
        }
        if (args.length != 0) {
            System.err.println("usage: vfio4j demo   (takes no arguments yet)");
            System.exit(2);
        }
        System.exit(onBuildHost());
    }

    private static int onBuildHost() {
        say("1. booting the x86 lab host: QEMU (TCG, -cpu max), q35 with an emulated Intel IOMMU,");
        say("   Linux 6.12 with intel_iommu=on, and the default devices (edu, nvme, e1000e, e1000 + edu behind a bridge)");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", LabClassRun.classPath(), "-Dvfio4j.launcher=" + System.getProperty("vfio4j.launcher", ""),
                Demo.class.getName(), IN_LAB);
        long t0 = System.nanoTime();
        try {
            LabResult r = Lab.x86().withTimeout(Duration.ofMinutes(5)).withEcho(System.out).run(cmd);
            Matcher m = RESULT.matcher(r.output());
            double secs = (System.nanoTime() - t0) / 1e9;
            if (r.status() == 0 && m.find()) {
                System.out.printf("verdict: OK: the lab host has %s IOMMU groups, and its NVMe controller %s now"
                        + " belongs to vfio-pci as /dev/vfio/%s, opened through vfio4j (%.1f s)%n", m.group(1),
                        LabDevice.NVME.bdf(), m.group(2), secs);
                return 0;
            }
            System.out.printf("verdict: FAILED: the in-lab part exited with status %d (its output is above)%n", r.status());
            return 1;
        } catch (LabException e) {
            System.out.println("verdict: FAILED: " + e.getMessage());
            return 1;
        }
    }

    private static int inLab() {
        LabHost host = new LabHost();
        say("2. inside the lab host (" + host.sh("uname -r").output().strip() + "), the IOMMU groups:");
        int groups = 0;
        try (var dirs = Files.list(Path.of("/sys/kernel/iommu_groups"))) {
            List<Path> sorted = new ArrayList<>(dirs.toList());
            sorted.sort(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString())));
            for (Path g : sorted) {
                groups++;
                say("   group " + g.getFileName() + ":");
                try (var devs = Files.list(g.resolve("devices"))) {
                    for (Path d : devs.sorted().toList()) {
                        say("     " + describe(d));
                    }
                }
            }
        } catch (IOException e) {
            say("   cannot list /sys/kernel/iommu_groups: " + e.getMessage());
            return 1;
        }
        LabDevice nvme = LabDevice.NVME;
        say("3. taking the NVMe controller " + nvme.bdf() + " from its host driver '" + host.driver(nvme) + "':");
        say("   echo " + nvme.bdf() + " > .../driver/unbind; echo vfio-pci > .../driver_override;"
                + " echo " + nvme.bdf() + " > /sys/bus/pci/drivers_probe");
        String group = host.bindToVfio(nvme);
        say("   now bound to '" + host.driver(nvme) + "', IOMMU group " + group + ":");
        say(host.sh("ls -l /dev/vfio").output().stripTrailing().indent(3).stripTrailing());
        String launcher = System.getProperty("vfio4j.launcher", "");
        if (launcher.isEmpty()) {
            say("   no -Dvfio4j.launcher: run the demo through ./vfio4j demo");
            return 1;
        }
        say("4. opening it through vfio4j (container, group " + group + ", device fd; regions and IRQs from the kernel):");
        say("   ./vfio4j info " + nvme.bdf());
        LabResult info = host.sh("VFIO4J_NO_BUILD=1 " + launcher + " info " + nvme.bdf());
        say(info.output().stripTrailing().indent(3).stripTrailing());
        if (info.status() != 0) {
            say("   vfio4j info failed with status " + info.status());
            return 1;
        }
        say("demo-result groups=" + groups + " nvme-group=" + group);
        return 0;
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

    private static void say(String line) {
        System.out.println(line);
    }
}
