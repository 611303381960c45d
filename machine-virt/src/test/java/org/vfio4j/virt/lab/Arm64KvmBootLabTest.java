package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vfio4j.lab.LabArch;
import org.vfio4j.lab.LabTest;
import org.vfio4j.virt.Main;

/**
 * The KVM guest tests, run inside the aarch64 lab host (arm64, KVM with VHE): the tiny guest built by
 * {@link GuestInitramfs} boots on machine-virt with 2 vCPUs, prints its marker, "cpus=2" and the root
 * compatible, powers off, and the VMM exits 0; a guest whose init dies (kernel panic, {@code panic=-1} resets)
 * gives a non-zero status; a missing kernel is exit 2 before KVM is touched; SIGTERM stops a running guest and
 * the VMM exits with 143. After each in-process run no KVM fd (/dev/kvm, VM, vCPU, vGIC) and no mapping of guest
 * RAM's size is left in this JVM — also when the machine fails to assemble after the preboot (the VM's set-up,
 * started beside Guice) made its VM, and when the kernel file cannot be read as one (refused by the preboot, exit
 * 2); a gzip-compressed Image, and a bare-metal ELF and raw binary written for QEMU's virt, boot.
 *
 * <p>The guest kernel is the lab's own kernel {@code Image} (PL011, virtio, GICv3 built in), which the lab shares
 * read-only at its build-host path and names in {@code $VFIO4J_LAB_KERNEL}. The guest initramfs is built here,
 * in the lab's {@code /tmp}, from the arm64 root's static busybox, so nothing depends on what ran before on the
 * build host. The guests boot with {@code quiet}: every console byte is an MMIO exit to user space, which is
 * slow under the lab's TCG; the marker lines and a panic's message still show.
 */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class Arm64KvmBootLabTest {
    private static final Duration BOOT_LIMIT = Duration.ofMinutes(10);
    private static final String APPEND = "console=ttyAMA0 panic=-1 quiet";
    private static final long RAM_BYTES = 512L << 20;
    private static Path kernel = Path.of("");
    private static Path initramfs = Path.of("");

    @BeforeAll
    static void guestFiles() throws Exception {
        kernel = LabKernel.image();
        initramfs = GuestInitramfs.build(GuestInitramfs.LAB_BUSYBOX, Files.createTempDirectory("vfio4j-guest-")
                .resolve("initramfs.cpio"));
    }

    private record Run(int status, String out, String err) {
    }

    private static Run virt(String append, String... more) {
        List<String> args = new ArrayList<>(List.of("-m", "512M", "-smp", "2", "-no-reboot", "-kernel",
                kernel.toString(), "-initrd", initramfs.toString(), "-append", append));
        args.addAll(List.of(more));
        return run(args);
    }

    /** Runs machine-virt with {@code args} in this JVM, and checks it left no KVM fd and no RAM mapping behind. */
    private static Run run(List<String> args) {
        return assertTimeoutPreemptively(BOOT_LIMIT, () -> {
            long ramMappings = mappingsOf(RAM_BYTES);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            Run r = new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
            assertEquals(List.of(), kvmFds(), () -> "KVM fds left open after the run:\n" + r);
            assertEquals(ramMappings, mappingsOf(RAM_BYTES), () -> "guest RAM left mapped after the run:\n" + r);
            return r;
        }, "the guest did not finish within " + BOOT_LIMIT);
    }

    /** This JVM's fds on /dev/kvm or KVM's anonymous inodes (kvm-vm, kvm-vcpu:N, kvm-arm-vgic-v3, ...). */
    private static List<String> kvmFds() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.contains("kvm")) {
                        found.add(fd.getFileName() + " -> " + target);
                    }
                } catch (IOException e) {
                    // closed while listing (the directory's own fd, for one)
                }
            }
        }
        return found;
    }

    /** How many of this JVM's mappings are exactly {@code bytes} long. */
    private static long mappingsOf(long bytes) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> {
            String[] range = l.substring(0, l.indexOf(' ')).split("-");
            return Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16) == bytes;
        }).count();
    }

    /**
     * The lab kernel gzip-compressed, as distributions ship {@code vmlinuz}: unpacked, booted, both vCPUs up, the
     * marker printed, a clean power-off. The plain Image boots in the reboot test and in every other lab class.
     */
    @Test
    void aGzipCompressedImageBootsPrintsItsMarkerSeesTwoCpusAndPowersOffWithStatusZero() throws IOException {
        Path vmlinuz = Files.createTempDirectory("vfio4j-gz-").resolve("vmlinuz");
        try (java.io.OutputStream o = new java.util.zip.GZIPOutputStream(Files.newOutputStream(vmlinuz))) {
            Files.copy(kernel, o);
        }
        Path real = kernel;
        kernel = vmlinuz;
        try {
            Run r = virt(APPEND);
            String all = r.out() + "\n--- stderr\n" + r.err();
            assertEquals(0, r.status(), all);
            assertTrue(r.out().contains("VFIO4J-GUEST-MARKER"), all);
            assertTrue(r.out().contains("cpus=2"), all);
            assertTrue(r.out().contains("compatible=linux,dummy-virt"), all);
            assertTrue(r.err().contains("the guest powered off"), all);
        } finally {
            kernel = real;
        }
    }

    /** A panicking guest, its console in a file ({@code -serial file:}): the panic is there, not on stdout. */
    @Test
    void aPanickingGuestGivesANonZeroStatusAndSaysWhy() throws IOException {
        Path console = Files.createTempDirectory("vfio4j-serial-").resolve("console.log");
        Run r = virt(APPEND + " vfio4j_panic", "-serial", "file:" + console);
        String text = Files.readString(console);
        String all = r.out() + "\n--- stderr\n" + r.err() + "\n--- " + console + "\n" + text;
        assertNotEquals(0, r.status(), all);
        assertTrue(text.contains("Kernel panic"), all);
        assertTrue(text.contains("VFIO4J-GUEST-MARKER"), all);
        assertTrue(!r.out().contains("Kernel panic"), "the console went to stdout too\n" + all);
        assertTrue(r.err().contains("reset") || r.err().contains("crash"), all);
    }

    @Test
    void aMachineThatFailsToAssembleAfterThePrebootStartedReleasesItsVm() {
        Run r = virt(APPEND, "-device", "nope");
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("vfio4j virt: -device nope: unknown device type 'nope'"), r.toString());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("vfio4j virt:")).count(), r.toString());
    }

    /**
     * A bare-metal program written for QEMU's virt machine (src/test/c/bare-metal.S), unmodified: as an ELF it is
     * entered at e_entry and finds the DTB at the base of RAM; as the raw binary made from it, it is entered at
     * RAM + 0x80000 with the DTB in X0. Both power off through PSCI, status 0.
     */
    @Test
    void bareMetalProgramsWrittenForQemusVirtBootUnmodified() throws IOException {
        Path dir = Files.createTempDirectory("vfio4j-bare-");
        for (String[] c : new String[][] {{"bare-metal.elf", "VFIO4J-DTB-AT-RAM-BASE"}, {"bare-metal.bin", "VFIO4J-DTB-IN-X0"}}) {
            Path p = dir.resolve(c[0]);
            try (InputStream in = Objects.requireNonNull(Arm64KvmBootLabTest.class.getResourceAsStream(c[0]),
                    c[0] + " (built by the machine-virt build from src/test/c)")) {
                Files.copy(in, p);
            }
            Run r = run(List.of("-m", "512M", "-kernel", p.toString()));
            assertEquals(0, r.status(), r.toString());
            assertTrue(r.out().contains("VFIO4J-BARE-METAL") && r.out().contains(c[1]), r.toString());
            assertTrue(r.err().contains("the guest powered off"), r.toString());
        }
    }

    @Test
    void aKernelThatDoesNotUnpackIsExitTwo() throws IOException {
        Path broken = Files.write(Files.createTempDirectory("vfio4j-raw-").resolve("vmlinuz"),
                new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3});
        Path real = kernel;
        kernel = broken;
        try {
            Run r = virt(APPEND);
            assertEquals(2, r.status(), r.toString());
            assertTrue(r.err().contains("-kernel " + broken) && r.err().contains("it looks compressed but does not unpack"),
                    r.toString());
            assertTrue(!r.err().contains("\tat "), "no stack trace: " + r);
        } finally {
            kernel = real;
        }
    }

    @Test
    void aMissingKernelIsExitTwoBeforeKvmIsTouched() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"-kernel", "/nonexistent/Image"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no such file"));
    }

    /**
     * A guest that reboots boots again on a fresh VM with both vCPUs; then SIGTERM ends the running guest and the
     * VMM exits 143 saying so.
     */
    @Test
    void aGuestThatRebootsBootsAgainOnAFreshVmAndSigtermEndsIt() throws Exception {
        Process p = childVmm("vfio4j_reboot");
        try {
            StringBuilder seen = new StringBuilder();
            for (int boot = 1; boot <= 2; boot++) {
                int b = boot;
                assertTimeoutPreemptively(BOOT_LIMIT,
                        () -> ConsoleReader.readUntil(p.getInputStream(), seen, "VFIO4J-GUEST-REBOOTING"),
                        () -> "boot " + b + " never reached its reboot:\n" + seen);
                assertTrue(p.isAlive(), () -> "the VMM ended at boot " + b + ":\n" + seen);
            }
            assertTrue(p.toHandle().destroy(), "SIGTERM could not be sent");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the VMM did not end within 60 s of SIGTERM");
            ConsoleReader.readUntil(p.getInputStream(), seen, null);
            assertEquals(143, p.exitValue(), seen.toString());
            String all = seen.toString();
            assertTrue(all.contains("terminated (SIGTERM)"), all);
            assertTrue(count(all, "cpus=2") >= 2, "both vCPUs come up on every boot:\n" + all);
            assertTrue(count(all, "the guest reset; booting again") >= 1, "two boots, one reboot:\n" + all);
        } finally {
            p.destroyForcibly();
        }
    }

    /** machine-virt as a child process (for SIGTERM and runs that do not end by themselves), output merged. */
    private static Process childVmm(String appendWord) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "-m", "256M", "-smp", "2", "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyAMA0 quiet " + appendWord));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
