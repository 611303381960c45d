package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
            for (String a : guest.args(List.of("vfio-pci,id=nvme0,iommufd=iommufd0,fd=4"), "vfio4j_nvme")) {
                Path file = Path.of(a);
                boolean guestFile = a.startsWith("/") && Files.isRegularFile(file);
                args.add(guestFile ? Files.copy(file, cp.resolve(file.getFileName())).toString() : a);
            }
            List<String> cmd = new ArrayList<>(List.of("sh", "-c", "exec 3<>/dev/iommu 4<>/dev/vfio/devices/" + cdev
                    + "; exec prlimit --memlock=unlimited:unlimited -- setpriv --reuid=1000 --regid=1000 --clear-groups "
                    + "--inh-caps=-all --bounding-set=-all -- \"$@\"", "sh"));
            cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED"));
            cmd.addAll(PciGuest.LAUNCHER_JVM);
            cmd.addAll(List.of("-cp", readableClassPath(host, cp), org.vfio4j.virt.Main.class.getName()));
            cmd.addAll(args);
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
