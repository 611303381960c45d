package org.vfio4j.lab;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./vfio4j demo}: the main job on its built-in default, narrated — an ARM guest on machine-virt using
 * the lab's NVMe controller directly through vfio-pci.
 *
 * <p>Why: it is the first thing a newcomer runs, so it shows the whole path once: an arm64 host whose SMMUv3
 * puts real PCI devices in IOMMU groups, the NVMe controller taken from its host driver and handed to
 * vfio-pci, opened through the library, then assigned by machine-virt (one container, guest RAM DMA-mapped,
 * KVM irqfd routes) to a KVM guest whose own nvme driver writes and reads it back. It boots the aarch64 lab
 * and re-runs itself there ({@link DemoInLab}); this side prints the one-line verdict and exits 0 only when
 * everything it claims was checked.
 */
public final class Demo {
    static final String IN_LAB = "--in-lab";
    private static final Pattern RESULT = Pattern.compile(
            "^demo-result group=(\\d+) mib=(\\d+) write=([0-9.]+) read=([0-9.]+) msix=(\\d+) boot=([0-9.]+)$",
            Pattern.MULTILINE);

    private Demo() {
    }

    /** Entry point on the build host (or, with {@code --in-lab}, inside the lab host). */
    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals(IN_LAB) && Lab.inLab()) {
            System.exit(DemoInLab.run());
        }
        if (args.length != 0) {
            System.err.println("usage: vfio4j demo   (takes no arguments)");
            System.exit(2);
        }
        System.exit(onBuildHost());
    }

    private static int onBuildHost() {
        say("1. booting the aarch64 lab host: QEMU (TCG, -cpu max), virt with EL2, GICv3 and an SMMUv3, the lab's");
        say("   Linux 6.12 (KVM, VFIO), and the default PCI devices (edu, nvme, e1000e, e1000 + edu behind a bridge)");
        String classPath = LabClassRun.classPath();
        Arm64Aot.Launch aot = Arm64Aot.launch(classPath);
        List<String> cmd = new ArrayList<>(List.of(Arm64Lab.JAVA_HOME + "/bin/java"));
        cmd.addAll(aot.options());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", aot.classPath(), "-Dvfio4j.launcher=" + System.getProperty("vfio4j.launcher", ""),
                Demo.class.getName(), IN_LAB));
        long t0 = System.nanoTime();
        try {
            LabResult r = Lab.aarch64().withTimeout(Duration.ofMinutes(15)).withEcho(System.out).run(cmd);
            Matcher m = RESULT.matcher(r.output());
            double secs = (System.nanoTime() - t0) / 1e9;
            if (r.status() == 0 && m.find()) {
                System.out.printf("verdict: OK: a KVM guest on machine-virt drove the lab's NVMe %s (IOMMU group %s)"
                        + " through vfio-pci: %s MiB written at %s MiB/s and read back at %s MiB/s with O_DIRECT,"
                        + " checksums equal, %s MSI-X interrupts, guest at its marker %s s after VMM launch"
                        + " (demo %.0f s)%n", LabDevice.NVME.bdf(), m.group(1), m.group(2), m.group(3), m.group(4),
                        m.group(5), m.group(6), secs);
                return 0;
            }
            System.out.printf("verdict: FAILED: the in-lab part exited with status %d (its output is above)%n", r.status());
            return 1;
        } catch (LabException e) {
            System.out.println("verdict: FAILED: " + e.getMessage());
            return 1;
        }
    }

    static void say(String line) {
        System.out.println(line);
    }

}
