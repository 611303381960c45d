package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vfio4j.virt.Main;

/**
 * The PCI assignment test guest and how to run it on machine-virt in the aarch64 lab: the lab kernel
 * ({@code $VFIO4J_LAB_KERNEL}, NVMe, e1000e and the generic ECAM host built in) with {@code pci-guest-init.sh}
 * as {@code /init}, whose work is chosen by {@code vfio4j_*} words on the kernel command line.
 */
final class PciGuest {
    static final Duration BOOT_LIMIT = Duration.ofMinutes(10);
    static final String MEMORY = "256M";
    static final long MEMORY_BYTES = 256L << 20;

    final Path kernel;
    final Path initramfs;

    private PciGuest(Path kernel, Path initramfs) {
        this.kernel = kernel;
        this.initramfs = initramfs;
    }

    /** Builds the initramfs into the lab's /tmp. */
    static PciGuest prepare() throws Exception {
        return prepare("pci-guest-init.sh", java.util.Map.of());
    }

    /** The same with another init script and executables in {@code /bin}. */
    static PciGuest prepare(String initResource, java.util.Map<String, byte[]> binaries) throws Exception {
        Path kernel = LabKernel.image();
        Path cpio = GuestInitramfs.build(GuestInitramfs.LAB_BUSYBOX,
                Files.createTempDirectory("vfio4j-pci-guest-").resolve("initramfs.cpio"), initResource, binaries);
        return new PciGuest(kernel, cpio);
    }

    /** One VMM run: status, the guest console, the VMM's messages. */
    record Run(int status, String out, String err) {
        String all() {
            return out + "\n--- stderr\n" + err;
        }

        /** The value printed by the guest as {@code key=value}, or null. */
        String value(String key) {
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(key) + "=(\\S*)").matcher(out);
            return m.find() ? m.group(1) : null;
        }

        OptionalLong number(String key) {
            String v = value(key);
            return v == null || !v.matches("\\d+") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(v));
        }
    }

    /** The machine-virt arguments for a guest with {@code devices} ({@code -device} values) and extra append words. */
    List<String> args(List<String> devices, String appendWords) {
        List<String> a = new ArrayList<>(List.of("-m", MEMORY, "-smp", "2", "-no-reboot", "-kernel", kernel.toString(),
                "-initrd", initramfs.toString(), "-append", "console=ttyAMA0 panic=-1 quiet " + appendWords));
        for (String d : devices) {
            a.add("-device");
            a.add(d);
        }
        return a;
    }

    /** Runs the VMM in this JVM. */
    Run run(List<String> devices, String appendWords) {
        return run(BOOT_LIMIT, devices, appendWords);
    }

    /** The same with a time limit of its own (a guest with long work to do). */
    Run run(Duration limit, List<String> devices, String appendWords) {
        return run(limit, args(devices, appendWords));
    }

    static Run run(List<String> args) {
        return run(BOOT_LIMIT, args);
    }

    static Run run(Duration limit, List<String> args) {
        return assertTimeoutPreemptively(limit, () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }, "the guest did not finish within " + limit);
    }

    /**
     * Reads a child VMM's output into {@code seen} to its end (within {@link #BOOT_LIMIT}) and waits for it to
     * exit (within a minute); its status.
     */
    static int awaitEnd(Process p, StringBuilder seen) throws InterruptedException {
        assertTimeoutPreemptively(BOOT_LIMIT, () -> ConsoleReader.readUntil(p.getInputStream(), seen, null));
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new AssertionError("the VMM did not exit after its output ended:\n" + seen);
        }
        return p.exitValue();
    }

    /** The command that runs the VMM in a child JVM with {@code args}. */
    /**
     * The JIT and GC options the {@code vfio4j} launcher runs machine-virt with (C1 only, one compiler thread,
     * serial GC), for a test that times the VMM against QEMU: on the lab's two emulated CPUs a default JVM's C2
     * threads take CPU time from the guest's vCPUs. The launcher's AOT cache is left out (a test runs the class
     * directories, which a cache cannot take).
     */
    static final List<String> LAUNCHER_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-XX:-UsePerfData", "-XX:CompileThresholdScaling=10", "-XX:CICompilerCount=1",
            "-XX:-UseDynamicNumberOfCompilerThreads");

    static List<String> childCommand(List<String> args) {
        return childCommand(List.of(), args);
    }

    /** The same with JVM options {@code jvm} (a heap limit, say). */
    static List<String> childCommand(List<String> jvm, List<String> args) {
        return childCommand(jvm, System.getProperty("java.class.path"), args);
    }

    /** The same on class path {@code classPath}. */
    static List<String> childCommand(List<String> jvm, String classPath, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", classPath, Main.class.getName()));
        cmd.addAll(args);
        return cmd;
    }
}
