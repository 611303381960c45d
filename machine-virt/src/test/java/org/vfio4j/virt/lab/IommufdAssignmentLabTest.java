package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vfio4j.lab.LabArch;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/**
 * The lab's nvme assigned through iommufd and its cdev (the aarch64 lab's kernel has both): once with the VMM
 * opening {@code /dev/iommu} and the cdev itself, once with a privileged parent opening them and handing the
 * fds to a VMM that runs as uid 1000 with no capabilities. The guest's driver does the same I/O as through the
 * VFIO container ({@link PciAssignmentLabTest}).
 */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class IommufdAssignmentLabTest {
    private static final String MARKER = "VFIO4J-GUEST-DONE";
    private static PciGuest guest;

    @BeforeAll
    static void guestFiles() throws Exception {
        guest = PciGuest.prepare();
    }

    @Test
    void anNvmeJoinsTheIommufdThroughItsCdevAndTheGuestDoesIo(LabHost host) {
        host.bindToVfio(LabDevice.NVME);
        List<String> args = new ArrayList<>(List.of("-object", "iommufd,id=iommufd0"));
        args.addAll(guest.args(List.of("vfio-pci,host=" + LabDevice.NVME.bdf() + ",id=nvme0,iommufd=iommufd0"),
                "vfio4j_nvme"));
        PciGuest.Run r = PciGuest.run(args);
        PciAssignmentLabTest.assertNvmeWorks(r);
        assertTrue(r.err().contains("through its cdev"), r.all());
        assertTrue(r.err().contains("iommufd iommufd0, IOAS"), "RAM was not mapped in the IOAS\n" + r.all());
        assertTrue(r.err().contains("iommufd iommufd0's IOAS freed"), r.all());
        assertTrue(!r.err().contains("VFIO container"), "the container was used too\n" + r.all());
    }

    /**
     * The privileged part is a shell: it opens /dev/iommu as fd 3 and the nvme's cdev as fd 4, lifts
     * RLIMIT_MEMLOCK and gives group 1000 /dev/kvm (the usual kvm group), then becomes uid 1000 with every
     * capability dropped and execs the VMM, which is told only the fd numbers.
     */
    @Test
    void aVmmGivenItsFdsRunsAsAnOrdinaryUserWithoutCapabilities(LabHost host) throws Exception {
        host.bindToVfio(LabDevice.NVME);
        String cdev = host.sh("ls /sys/bus/pci/devices/" + LabDevice.NVME.bdf() + "/vfio-dev").output().trim();
        assertTrue(cdev.matches("vfio\\d+"), "no cdev for the nvme: " + cdev);
        String before = host.sh("stat -c '%a %g' /dev/kvm").output();
        // what an ordinary user needs besides the fds: /dev/kvm by group (and this test's files readable, below)
        host.sh("chgrp 1000 /dev/kvm && chmod 660 /dev/kvm");
        Path err = Files.createTempFile("vfio4j-unprivileged-", ".err");
        Path cp = Files.createTempDirectory("vfio4j-unprivileged-cp-");
        try {
            List<String> args = new ArrayList<>(List.of("-object", "iommufd,id=iommufd0,fd=3"));
            args.addAll(readable(guest.args(List.of("vfio-pci,id=nvme0,iommufd=iommufd0,fd=4"), "vfio4j_nvme"), cp));
            List<String> cmd = asUid1000("exec 3<>/dev/iommu 4<>/dev/vfio/devices/" + cdev, host, cp, args);
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            StringBuilder out = new StringBuilder();
            String[] status = {""};
            try {
                assertTimeoutPreemptively(PciGuest.BOOT_LIMIT, () -> {
                    BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    for (String line; (line = in.readLine()) != null;) {
                        out.append(line).append('\n');
                        if (line.contains(MARKER) && status[0].isEmpty()) {
                            // the guest is done with the device and the VMM still runs: who is it?
                            status[0] = Files.readString(Path.of("/proc/" + p.pid() + "/status"));
                        }
                    }
                });
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            } finally {
                p.destroyForcibly();
            }
            PciGuest.Run r = new PciGuest.Run(p.exitValue(), out.toString(), Files.readString(err));
            PciAssignmentLabTest.assertNvmeWorks(r);
            assertTrue(status[0].matches("(?s).*\nUid:\\s+1000\\s+1000\\s+1000\\s+1000\n.*"), status[0]);
            assertTrue(status[0].contains("\nCapEff:\t0000000000000000\n"), status[0]);
            assertTrue(status[0].contains("\nCapPrm:\t0000000000000000\n"), status[0]);
            assertTrue(r.err().contains("through its cdev fd 4"), r.all());
            assertEquals(0, Integer.parseInt(host.sh("ls /proc/" + p.pid() + " 2>/dev/null | wc -l").output().trim()),
                    "the VMM is gone");
        } finally {
            String[] was = before.trim().split("\\s+");
            host.sh("chgrp " + was[1] + " /dev/kvm; chmod " + was[0] + " /dev/kvm");
            Files.deleteIfExists(err);
            host.sh("rm -rf " + cp);
        }
    }

    /**
     * Hot-plug into a VMM that cannot open devices: the VMM runs as uid 1000 with no capabilities and its sandbox,
     * holding only the iommufd it was handed, and a privileged manager ({@code qmp-getfd.py}, QEMU's client
     * library, as root) opens the nvme's cdev, sends it over the QMP socket with SCM_RIGHTS, names it with
     * {@code getfd} and adds the device with {@code device_add ...,fd=NAME,iommufd=iommufd0,bus=rp1}. The guest's
     * driver probes it behind the root port and does its I/O; the power button ends the run.
     */
    @Test
    void aManagerHotPlugsADeviceIntoAnUnprivilegedSandboxedVmmThroughGetfd(LabHost host) throws Exception {
        host.bindToVfio(LabDevice.NVME);
        String cdev = host.sh("ls /sys/bus/pci/devices/" + LabDevice.NVME.bdf() + "/vfio-dev").output().trim();
        assertTrue(cdev.matches("vfio\\d+"), "no cdev for the nvme: " + cdev);
        String before = host.sh("stat -c '%a %g' /dev/kvm").output();
        host.sh("chgrp 1000 /dev/kvm && chmod 660 /dev/kvm");
        Path cp = Files.createTempDirectory("vfio4j-getfd-cp-");
        Path sockets = Files.createTempDirectory("vfio4j-getfd-sock-");
        host.sh("chown 1000:1000 " + sockets);
        Path socket = sockets.resolve("vm.qmp");
        Path script = cp.resolve("qmp-getfd.py");
        try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("qmp-getfd.py"))) {
            Files.copy(in, script);
        }
        Process vm = null;
        Process client = null;
        try {
            List<String> args = new ArrayList<>(List.of("-object", "iommufd,id=iommufd0,fd=3"));
            args.addAll(readable(guest.args(List.of("pcie-root-port,id=rp1,chassis=1,slot=1"),
                    "vfio4j_hotplug vfio4j_hotplug_once"), cp));
            args.addAll(List.of("-qmp", "unix:" + socket + ",server=on,wait=on"));
            List<String> cmd = asUid1000("exec 3<>/dev/iommu", host, cp, args);
            Process v = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            vm = v;
            StringBuilder console = new StringBuilder();
            StringBuilder said = new StringBuilder();
            HotplugLabTest.read(v, console, "waiting for", "the VMM did not wait for its manager", said);
            Process c = new ProcessBuilder("python3", script.toString(), socket.toString(), "/dev/vfio/devices/" + cdev)
                    .redirectErrorStream(true).start();
            client = c;
            HotplugLabTest.read(v, console, "VFIO4J-HOTPLUG-READY", "the guest never got ready", said);
            String status = Files.readString(Path.of("/proc/" + v.pid() + "/status"));
            try (OutputStream toClient = c.getOutputStream()) {
                HotplugLabTest.tell(toClient, "ready");
                HotplugLabTest.read(c, said, "QMP: device_add\n", "the manager never added the device", console);
                HotplugLabTest.read(v, console, "VFIO4J-HOTPLUG-IO-DONE", "no I/O on the device handed in", said);
                HotplugLabTest.tell(toClient, "io-done");
            }
            assertTimeoutPreemptively(PciGuest.BOOT_LIMIT, () -> ConsoleReader.readUntil(c.getInputStream(), said, null));
            assertTrue(c.waitFor(60, TimeUnit.SECONDS));
            String all = console + "\n--- manager\n" + said;
            assertEquals(0, c.exitValue(), all);
            assertTrue(said.toString().contains("QMP-GETFD-OK"), all);
            assertEquals(0, PciGuest.awaitEnd(v, console), all);
            assertEquals("0000:01:00.0", HotplugLabTest.value(console.toString(), "hotplug-probed"), all);
            String written = HotplugLabTest.value(console.toString(), "hotplug-write-md5");
            assertNotNull(written, all);
            assertEquals(written, HotplugLabTest.value(console.toString(), "hotplug-read-md5"), all);
            assertTrue(console.toString().matches("(?s).*through its cdev fd \\d+.*"), all);
            assertTrue(status.matches("(?s).*\nUid:\\s+1000\\s+1000\\s+1000\\s+1000\n.*"), status);
            assertTrue(status.contains("\nCapEff:\t0000000000000000\n"), status);
            assertTrue(status.contains("\nSeccomp:\t2\n"), "the VMM runs sandboxed\n" + status);
        } finally {
            if (client != null) {
                client.destroyForcibly();
            }
            if (vm != null) {
                vm.destroyForcibly();
                vm.waitFor(60, TimeUnit.SECONDS);
            }
            String[] was = before.trim().split("\\s+");
            host.sh("chgrp " + was[1] + " /dev/kvm; chmod " + was[0] + " /dev/kvm");
            host.sh("rm -rf " + cp + " " + sockets);
        }
    }

    /**
     * The command that runs the VMM with {@code args} as uid 1000 with no capabilities and RLIMIT_MEMLOCK lifted,
     * after the root shell ran {@code opens} (the descriptors it hands over), from a class path copied into
     * {@code dir} that uid 1000 can read.
     */
    private static List<String> asUid1000(String opens, LabHost host, Path dir, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", opens + "; exec prlimit --memlock=unlimited:unlimited "
                + "-- setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all --bounding-set=-all -- \"$@\"",
                "sh"));
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(PciGuest.LAUNCHER_JVM);
        cmd.addAll(List.of("-cp", readableClassPath(host, dir), org.vfio4j.virt.Main.class.getName()));
        cmd.addAll(args);
        return cmd;
    }

    /** {@code args} with the guest's files (kernel, initrd) copied into {@code dir}, for a VMM of another user. */
    private static List<String> readable(List<String> args, Path dir) throws java.io.IOException {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            Path file = Path.of(a);
            boolean guestFile = a.startsWith("/") && Files.isRegularFile(file);
            out.add(guestFile ? Files.copy(file, dir.resolve(file.getFileName())).toString() : a);
        }
        return out;
    }

    /**
     * This JVM's class path copied into {@code dir}, readable by anyone: the build host's Maven repository and the
     * lab's jar cache are root's alone, as they should be.
     */
    private static String readableClassPath(LabHost host, Path dir) throws Exception {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path from = Path.of(e);
            Path to = dir.resolve(n++ + "-" + from.getFileName());
            if (Files.isDirectory(from)) {
                try (var walk = Files.walk(from)) {
                    for (Path f : walk.toList()) {
                        Path t = to.resolve(from.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(t);
                        } else {
                            Files.copy(f, t);
                        }
                    }
                }
            } else if (Files.exists(from)) {
                Files.copy(from, to);
            }
            entries.add(to.toString());
        }
        host.sh("chmod -R a+rX " + dir);
        return String.join(java.io.File.pathSeparator, entries);
    }
}
