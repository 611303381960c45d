package org.vfio4j.lab;

import static org.vfio4j.lab.Demo.say;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's guest: a busybox initramfs whose init ({@code aarch64/nvme-guest-init.sh}) writes and reads back
 * the assigned NVMe namespace, booted on machine-virt with {@code -device vfio-pci,host=BDF}; the VMM's and the
 * guest's lines are narrated as they come and the figures the verdict needs are parsed from them.
 *
 * <p>Why the VMM's output is parsed rather than trusted by exit status alone: the verdict claims a checksum
 * match and interrupts counted, so it must have seen both.
 */
final class DemoGuest {
    /** The arm64 root's static busybox, as the lab host sees it. */
    private static final Path BUSYBOX = Path.of("/usr/bin/busybox");
    private static final long LIMIT_MINUTES = 8;
    private static final Pattern RATE = Pattern.compile("= ([0-9.]+) MiB/s");
    private static final Pattern IRQ = Pattern.compile("^irq:\\s+\\d+:((?:\\s+\\d+)+)\\s");

    /** What the run showed; {@code problem} is empty when everything the verdict claims was seen. */
    record Result(String problem, String writeRate, String readRate, long msix, String bootSeconds) {
        boolean ok() {
            return problem.isEmpty();
        }
    }

    private DemoGuest() {
    }

    static Result run(String launcher, LabDevice nvme, int mib) throws IOException {
        String kernel = Objects.requireNonNullElse(System.getenv(Arm64Shares.KERNEL_ENV), "");
        if (kernel.isEmpty()) {
            return new Result("$" + Arm64Shares.KERNEL_ENV + " is not set: the demo's guest part runs in the aarch64 lab",
                    "", "", 0, "");
        }
        Path cpio = initramfs(Files.createTempDirectory("vfio4j-demo-").resolve("guest.cpio"));
        List<String> cmd = List.of(launcher, "virt", "-m", "512M", "-smp", "2", "-kernel", kernel, "-initrd",
                cpio.toString(), "-append", "console=ttyAMA0 panic=-1 quiet vfio4j_mib=" + mib, "-device",
                "vfio-pci,host=" + nvme.bdf());
        say("5. assigning it to an ARM guest on machine-virt (KVM in the lab host):");
        say("   ./vfio4j " + String.join(" ", cmd.subList(1, cmd.size())));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("VFIO4J_NO_BUILD", "1");
        long t0 = System.nanoTime();
        Process p = pb.start();
        Thread.ofVirtual().start(() -> watchdog(p));
        Narration n = new Narration(t0);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                n.line(line);
            }
        }
        int status;
        try {
            status = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return new Result("interrupted while waiting for the VMM", "", "", 0, "");
        }
        return n.result(status);
    }

    private static void watchdog(Process p) {
        try {
            if (!p.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES)) {
                say("   the VMM did not finish within " + LIMIT_MINUTES + " minutes: killing it");
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
        }
    }

    /** Echoes the VMM's and the guest's lines with the demo's step numbers, and keeps what the verdict needs. */
    static final class Narration {
        private final long t0;
        private String boot = "";
        private String write = "";
        private String read = "";
        private boolean checksum;
        private long msix;

        Narration(long t0) {
            this.t0 = t0;
        }

        void line(String l) {
            if (l.startsWith("virt:")) {
                // the report's first line introduces the memory map, whose indented lines are not echoed
                say("   vmm: " + l.substring(5).strip().replace(", memory map:", ""));
            } else if (l.contains("VFIO4J-GUEST-MARKER")) {
                boot = String.format("%.1f", (System.nanoTime() - t0) / 1e9);
                say("6. the guest is up (" + boot + " s after the VMM was launched, JVM start-up included):");
            } else if (l.startsWith("nvme:") || l.startsWith("NVME-MISSING") || l.contains("Kernel panic")) {
                say("   guest " + l);
            } else if (l.startsWith("write:") || l.startsWith("read:")) {
                Matcher m = RATE.matcher(l);
                if (m.find()) {
                    if (l.startsWith("write:")) {
                        write = m.group(1);
                    } else {
                        read = m.group(1);
                    }
                }
                say("   guest O_DIRECT " + l);
            } else if (l.startsWith("CHECKSUM-")) {
                checksum = l.startsWith("CHECKSUM-OK");
                say("   guest md5 of what was written vs what was read back: " + (checksum ? "equal" : "DIFFERENT: " + l));
            } else if (l.startsWith("irq:")) {
                Matcher m = IRQ.matcher(l);
                if (m.find()) {
                    for (String c : m.group(1).strip().split("\\s+")) {
                        msix += Long.parseLong(c);
                    }
                }
                say("   guest /proc/interrupts " + l.substring(4).strip());
            }
        }

        Result result(int status) {
            String problem = status != 0 ? "the VMM exited with status " + status
                    : boot.isEmpty() ? "the guest never printed its marker"
                    : write.isEmpty() || read.isEmpty() ? "the guest did not finish its writes and reads"
                    : !checksum ? "what the guest read back differs from what it wrote"
                    : msix == 0 ? "no MSI-X interrupt reached the guest" : "";
            return new Result(problem, write, read, msix, boot);
        }
    }

    private static Path initramfs(Path cpio) throws IOException {
        if (!Files.isRegularFile(BUSYBOX)) {
            throw new IOException("no static busybox at " + BUSYBOX + " (the aarch64 lab root has it from busybox-static)");
        }
        byte[] init;
        try (InputStream in = Objects.requireNonNull(DemoGuest.class.getResourceAsStream("aarch64/nvme-guest-init.sh"))) {
            init = in.readAllBytes();
        }
        try (OutputStream out = Files.newOutputStream(cpio); Newc c = new Newc(out)) {
            for (String d : List.of("bin", "dev", "proc", "sys")) {
                c.dir(d);
            }
            c.charDevice("dev/console", 0600, 5, 1);
            c.file("bin/busybox", 0755, Files.readAllBytes(BUSYBOX));
            c.file("init", 0755, init);
        }
        return cpio;
    }
}
