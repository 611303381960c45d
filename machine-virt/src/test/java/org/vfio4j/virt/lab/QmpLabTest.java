package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vfio4j.lab.LabArch;
import org.vfio4j.lab.LabTest;

/**
 * machine-virt's QMP driven by a client written elsewhere: QEMU's own Python library ({@code qemu.qmp}, which the
 * lab's root takes from the source of its QEMU) runs one script, {@code qmp-lifecycle.py}, against machine-virt
 * and against the lab's QEMU 10.0, both started with the same {@code -S -qmp unix:...,server=on,wait=on} and
 * the tiny guest. The script must pass on both: greeting, {@code prelaunch} status, QEMU's error classes,
 * {@code cont} and the guest's marker, {@code stop}/{@code cont} with their events, {@code system_reset} with
 * {@code RESET} and a second boot, {@code system_powerdown} with {@code POWERDOWN}, the guest's own power-off
 * and its {@code SHUTDOWN}; each VMM then exits 0. The rounds alternate between the two VMMs, and the time from
 * {@code cont} to the guest's marker is printed for each with the ratio of the medians; the test command runs one
 * round ({@code -Dvfio4j.qmp.rounds=N} runs more).
 *
 * <p>Why {@code wait=on}: both VMMs print a line once they listen and block until the client connects, so the
 * test starts the client when that line appears, with no polling for the socket file.
 */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class QmpLabTest {
    private static final Duration LIMIT = Duration.ofMinutes(5);
    /** Rounds per VMM: one in the test command, more for the figures ({@code bench/qmp-compare.sh} runs 5). */
    private static final int ROUNDS = Math.max(1, Integer.getInteger("vfio4j.qmp.rounds", 1));
    private static Path kernel = Path.of("");
    private static Path initramfs = Path.of("");
    private static Path script = Path.of("");

    @BeforeAll
    static void guestFiles() throws Exception {
        kernel = LabKernel.image();
        Path dir = Files.createTempDirectory("vfio4j-qmp-");
        initramfs = GuestInitramfs.build(GuestInitramfs.LAB_BUSYBOX, dir.resolve("initramfs.cpio"));
        script = dir.resolve("qmp-lifecycle.py");
        try (InputStream in = Objects.requireNonNull(QmpLabTest.class.getResourceAsStream("qmp-lifecycle.py"))) {
            Files.copy(in, script);
        }
    }

    private static List<String> guestArgs(Path socket) {
        return List.of("-m", "512M", "-smp", "2", "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyAMA0 quiet vfio4j_idle", "-S", "-qmp", "unix:" + socket + ",server=on,wait=on");
    }

    private static List<String> command(String vmm, Path socket) {
        if (vmm.equals("machine-virt")) {
            return PciGuest.childCommand(PciGuest.LAUNCHER_JVM, guestArgs(socket));
        }
        List<String> cmd = new ArrayList<>(List.of("qemu-system-aarch64", "-M", "virt,gic-version=3", "-enable-kvm",
                "-cpu", "host", "-display", "none", "-monitor", "none", "-serial", "stdio", "-nic", "none"));
        cmd.addAll(guestArgs(socket));
        return cmd;
    }

    /** One life cycle on {@code vmm}; returns the milliseconds from the client's cont to the guest's marker. */
    private static double lifecycle(String vmm) throws Exception {
        Path socket = Files.createTempDirectory("vfio4j-qmp-sock-").resolve("vm.qmp");
        Process vm = new ProcessBuilder(command(vmm, socket)).redirectErrorStream(true).start();
        Process client = null;
        StringBuilder console = new StringBuilder();
        StringBuilder said = new StringBuilder();
        try {
            assertTimeoutPreemptively(LIMIT, () -> ConsoleReader.readUntil(vm.getInputStream(), console, "waiting for"),
                    () -> vmm + " did not wait for a QMP client:\n" + console);
            assertTrue(console.toString().contains("waiting for"), () -> vmm + " ended before listening:\n" + console);
            Process c = new ProcessBuilder("python3", script.toString(), socket.toString()).redirectErrorStream(true)
                    .start();
            client = c;
            assertTimeoutPreemptively(LIMIT, () -> ConsoleReader.readUntil(c.getInputStream(), said, "QMP: cont\n"),
                    () -> "the client never sent cont to " + vmm + ":\n" + said + "\n--- " + vmm + "\n" + console);
            assertTrue(said.toString().contains("QMP: cont"), () -> "the client failed on " + vmm + ":\n" + said
                    + "\n--- " + vmm + "\n" + console);
            long cont = System.nanoTime();
            assertTimeoutPreemptively(LIMIT, () -> ConsoleReader.readUntil(vm.getInputStream(), console,
                    "VFIO4J-GUEST-IDLE"), () -> "no marker on " + vmm + ":\n" + console + "\n--- client\n" + said);
            long marker = System.nanoTime();
            assertTrue(console.toString().contains("VFIO4J-GUEST-MARKER"), () -> vmm + ":\n" + console + "\n" + said);
            try (OutputStream toClient = c.getOutputStream()) {
                toClient.write("marker\n".getBytes(StandardCharsets.US_ASCII));
                toClient.flush();
                int firstBoot = console.length();
                assertTimeoutPreemptively(LIMIT, () -> ConsoleReader.readUntil(vm.getInputStream(), console,
                        "VFIO4J-GUEST-IDLE"), () -> "no second boot on " + vmm + " after system_reset:\n" + console
                        + "\n--- client\n" + said);
                assertTrue(console.indexOf("VFIO4J-GUEST-MARKER", firstBoot) > 0, () -> vmm + ":\n" + console);
                toClient.write("marker\n".getBytes(StandardCharsets.US_ASCII));
            }
            assertTimeoutPreemptively(LIMIT, () -> ConsoleReader.readUntil(c.getInputStream(), said, null));
            assertTrue(c.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, c.exitValue(), () -> "the client failed on " + vmm + ":\n" + said + "\n--- " + vmm + "\n"
                    + console);
            assertTrue(said.toString().contains("QMP-LIFECYCLE-OK"), said::toString);
            assertTimeoutPreemptively(LIMIT, () -> ConsoleReader.readUntil(vm.getInputStream(), console, null));
            assertTrue(vm.waitFor(60, TimeUnit.SECONDS), () -> vmm + " did not exit after the power-off:\n" + console);
            assertEquals(0, vm.exitValue(), () -> vmm + " after the power-off:\n" + console);
            assertTrue(console.toString().contains("VFIO4J-GUEST-POWER-BUTTON"),
                    () -> "the guest did not see its power button on " + vmm + ":\n" + console);
            assertTrue(!Files.exists(socket) || vmm.equals("qemu"), "machine-virt removes its socket on the way out");
            return (marker - cont) / 1e6;
        } finally {
            if (client != null) {
                client.destroyForcibly();
            }
            vm.destroyForcibly();
        }
    }

    @Test
    void qemusClientDrivesMachineVirtAndQemuThroughTheSameLifeCycle() throws Exception {
        double[] virt = new double[ROUNDS];
        double[] qemu = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            virt[i] = lifecycle("machine-virt");
            qemu[i] = lifecycle("qemu");
        }
        double mv = median(virt);
        double q = median(qemu);
        System.out.printf(Locale.ROOT, "QMP cont to marker (ms, %d rounds): machine-virt %s median %.0f, QEMU %s median"
                + " %.0f, ratio %.2f%n", ROUNDS, java.util.Arrays.toString(round(virt)), mv,
                java.util.Arrays.toString(round(qemu)), q, mv / q);
    }

    private static long[] round(double[] v) {
        return java.util.Arrays.stream(v).mapToLong(Math::round).toArray();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

}
