package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vfio4j.lab.LabArch;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/**
 * The guest as an attacker, in the aarch64 lab: the lab's nvme assigned to a guest whose init runs the
 * {@code hostile-guest} helper against it (random config writes, D3hot and decode toggling under a reading CPU,
 * BARs thrown outside and around the windows, MSI-X table and PBA abuse), and VMMs killed in the middle of guest
 * I/O. After every run the host's view of the device is unchanged ({@link HostWatch}), the VMM did not exit early,
 * and the device still does a 4 MiB O_DIRECT write and read-back with equal checksums.
 *
 * <p>The test command runs reduced counts; {@code -Dvfio4j.hostile.full=true} runs the full ones
 * ({@code machine-virt/bench/hostile.sh}). Each test prints a {@code hostile-figure} line with what it measured.
 */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class HostileGuestLabTest {
    private static final boolean FULL = Boolean.getBoolean("vfio4j.hostile.full");
    /** How long one guest may take: the full counts run for up to half an hour each under TCG. */
    private static final Duration LIMIT = FULL ? Duration.ofMinutes(75) : PciGuest.BOOT_LIMIT;
    private static PciGuest guest;

    @BeforeAll
    static void guestFiles() throws Exception {
        byte[] helper;
        try (InputStream in = Objects.requireNonNull(HostileGuestLabTest.class.getResourceAsStream("hostile-guest"),
                "hostile-guest (built by the machine-virt build from src/test/c)")) {
            helper = in.readAllBytes();
        }
        guest = PciGuest.prepare("pci-guest-init.sh", Map.of("hostile", helper));
    }

    private static String nvme(String extra) {
        return "vfio-pci,host=" + LabDevice.NVME.bdf() + ",id=nvme0" + extra;
    }

    private static int count(int reduced, int full) {
        return FULL ? full : reduced;
    }

    /** The guest finished its attacks and the device still works for its driver. */
    private static void assertGuestSurvivedAndDeviceWorks(PciGuest.Run r) {
        String all = r.all();
        assertEquals(0, r.status(), "the VMM exited early\n" + all);
        assertTrue(r.out().contains("VFIO4J-HOSTILE-END"), all);
        assertTrue(!r.out().contains("hostile-error="), all);
        assertTrue(r.out().contains("VFIO4J-GUEST-DONE"), all);
        String written = r.value("nvme-write-md5");
        assertNotNull(written, "no 4 MiB write after the attacks\n" + all);
        assertEquals(written, r.value("nvme-read-md5"), all);
        long before = r.number("nvme-irqs-before").orElseThrow(() -> new AssertionError(all));
        long after = r.number("nvme-irqs-after").orElseThrow(() -> new AssertionError(all));
        assertTrue(after > before, "the nvme's interrupts did not count during the I/O after the attacks\n" + all);
    }

    private static long lines(String s) {
        return s.isEmpty() ? 0 : s.lines().count();
    }

    /**
     * Tests 1 and 4 in one guest per seed (a boot is a minute under TCG): random config writes never change what
     * the host owns, never end the VMM, never fault the SMMU; then (first seed) random MSI-X table/PBA accesses;
     * after both the guest's driver binds again and its I/O works.
     */
    @Test
    void randomConfigWritesAndMsixAbuseNeverEscape(LabHost host) {
        host.bindToVfio(LabDevice.NVME);
        int seeds = count(1, 5);
        int writes = count(10_000, 100_000);
        int accesses = count(20_000, 1_000_000);
        long escapes = 0;
        long total = 0;
        long ms = 0;
        for (int seed = 1; seed <= seeds; seed++) {
            HostWatch watch = HostWatch.start(LabDevice.NVME);
            PciGuest.Run r = guest.run(LIMIT, List.of(nvme("")), "vfio4j_hostile vfio4j_nvme vfio4j_fuzz=" + seed + ":"
                    + writes + (seed == 1 ? " vfio4j_msix=14:" + accesses : ""));
            List<String> changed = watch.changes();
            escapes += changed.size() + (r.status() == 0 ? 0 : 1);
            total += r.number("fuzz-writes").orElse(0);
            ms += r.number("fuzz-ms").orElse(0);
            assertEquals(List.of(), changed, "seed " + seed + "\n" + r.all());
            assertGuestSurvivedAndDeviceWorks(r);
            if (seed == 1) {
                assertTrue(r.number("msix-writes").orElse(0) > 0 && r.number("msix-toggles").orElse(0) > 0, r.all());
                System.out.printf("hostile-figure msix: %d accesses (%d reads, %d writes, %d control toggles) in %d ms, "
                        + "%d stderr lines%n", accesses, r.number("msix-reads").orElse(-1),
                        r.number("msix-writes").orElse(-1), r.number("msix-toggles").orElse(-1),
                        r.number("msix-ms").orElse(-1), lines(r.err()));
            }
        }
        System.out.printf("hostile-figure config-fuzz: %d escapes in %d writes, %.0f writes/s%n", escapes, total,
                total * 1000.0 / Math.max(1, ms));
    }

    /**
     * Test 2: D3hot/D0 and decode toggles under a reading CPU with mapped BARs. The same with every access trapped
     * ({@code x-no-mmap}) is the lifecycle test's last VMM, which saves a boot.
     */
    @Test
    void powerAndDecodeTogglesNeverEndTheVmm(LabHost host) {
        host.bindToVfio(LabDevice.NVME);
        powerAndDecode("");
    }

    /** One guest of test 2 with {@code mode} appended to the device's options. */
    private static void powerAndDecode(String mode) {
        int cycles = count(40, 200);
        int toggles = count(2_000, 10_000);
        HostWatch watch = HostWatch.start(LabDevice.NVME);
        PciGuest.Run r = guest.run(LIMIT, List.of(nvme(mode)), "vfio4j_hostile vfio4j_nvme vfio4j_power=" + cycles
                + " vfio4j_decode=" + toggles);
        System.out.printf("hostile-figure power-decode%s: %d D3hot cycles, %d decode toggles in %d ms, the other "
                + "CPU read BAR 0 %d times (%d all ones), %d stderr lines%n", mode, cycles, toggles,
                r.number("decode-ms").orElse(-1), r.number("reader-reads").orElse(-1),
                r.number("reader-ones").orElse(-1), lines(r.err()));
        assertEquals(List.of(), watch.changes(), r.all());
        assertGuestSurvivedAndDeviceWorks(r);
        assertEquals(cycles, r.number("power-cycles").orElse(-1), r.all());
        assertEquals(0, r.number("power-bad-reads").orElse(-1), "BAR 0 read all ones back in D0\n" + r.all());
        assertTrue(r.number("reader-reads").orElse(0) > 0, "the second CPU never read BAR 0\n" + r.all());
        assertTrue(lines(r.err()) <= 100, lines(r.err()) + " stderr lines\n" + r.err());
    }

    /**
     * Test 3: three loops that each provoke VMM bookkeeping or a diagnostic on every turn, against a VMM with a
     * 128 MiB heap: bounded output, bounded memory, and an exit soon after the guest is done.
     */
    @Test
    void loopsOfProvocationsStayWithinBounds(LabHost host) throws Exception {
        host.bindToVfio(LabDevice.NVME);
        int n = count(3_000, 200_000);
        HostWatch watch = HostWatch.start(LabDevice.NVME);
        List<String> cmd = PciGuest.childCommand(List.of("-Xmx128m"),
                guest.args(List.of(nvme("")), "vfio4j_hostile vfio4j_nvme vfio4j_decode=" + n + " vfio4j_outside=" + n
                        + " vfio4j_move=" + n));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        Thread errReader = Thread.ofPlatform().start(() -> drain(p.getErrorStream(), err));
        try {
            long startRss = assertTimeoutPreemptively(LIMIT, () -> {
                ConsoleReader.readUntil(p.getInputStream(), out, "VFIO4J-HOSTILE-START");
                return rssKiB(p.pid());
            }, () -> "the guest never started its attacks:\n" + out + "\n--- stderr\n" + err);
            long endRss = assertTimeoutPreemptively(LIMIT, () -> {
                ConsoleReader.readUntil(p.getInputStream(), out, "VFIO4J-HOSTILE-END");
                return rssKiB(p.pid());
            }, () -> "the guest's loops did not finish:\n" + out + "\n--- stderr\n" + err);
            assertTimeoutPreemptively(LIMIT,
                    () -> ConsoleReader.readUntil(p.getInputStream(), out, "VFIO4J-GUEST-DONE"), out::toString);
            long done = System.nanoTime();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the VMM did not exit within 30 s of the guest finishing");
            double exitS = (System.nanoTime() - done) / 1e9;
            errReader.join(10_000);
            drain(p.getInputStream(), out);
            PciGuest.Run r = new PciGuest.Run(p.exitValue(), out.toString(), err.toString());
            long growthMiB = (endRss - startRss) / 1024;
            System.out.printf("hostile-figure bounds: %d provocations, %d stderr lines, RSS %d -> %d MiB (%+d), exit "
                    + "%.1f s after the guest finished%n", 3 * n, lines(r.err()), startRss / 1024, endRss / 1024,
                    growthMiB, exitS);
            assertEquals(List.of(), watch.changes(), r.all());
            assertGuestSurvivedAndDeviceWorks(r);
            assertTrue(lines(r.err()) <= 2000, lines(r.err()) + " stderr lines for " + 3 * n + " provocations");
            assertTrue(growthMiB <= 64, "resident memory grew by " + growthMiB + " MiB");
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * Test 5: VMMs ended in the middle of guest I/O by SIGKILL, SIGTERM or a guest panic: each is gone within
     * 15 s, holds nothing of {@code /dev/vfio}, unpins its memory, and the next VMM takes the device at once. The
     * last VMM runs test 2 with every BAR access trapped.
     */
    @Test
    void vmmsEndedMidIoReleaseTheDeviceForTheNext(LabHost host) throws Exception {
        host.bindToVfio(LabDevice.NVME);
        int perKind = count(1, 20);
        long pinnedBaseline = HostWatch.pinnedPages();
        SplittableRandom random = new SplittableRandom(5);
        List<Double> teardown = new ArrayList<>();
        int reusable = 0;
        for (int run = 0; run < 3 * perKind; run++) {
            final int i = run;
            String kind = List.of("SIGKILL", "SIGTERM", "panic").get(i % 3);
            long afterMs = 500 + random.nextLong(7_500);
            String append = kind.equals("panic") ? "vfio4j_nvme_loop vfio4j_panic_ms=" + afterMs : "vfio4j_nvme_loop";
            Process p = new ProcessBuilder(PciGuest.childCommand(List.of(), guest.args(List.of(nvme("")), append)))
                    .redirectErrorStream(true).start();
            StringBuilder seen = new StringBuilder();
            try {
                assertTimeoutPreemptively(LIMIT,
                        () -> ConsoleReader.readUntil(p.getInputStream(), seen, "VFIO4J-IO-LOOP"),
                        () -> "run " + i + ": the guest never started its I/O loop (the device was not reusable):\n" + seen);
                reusable++;
                long start;
                if (kind.equals("panic")) {
                    assertTimeoutPreemptively(LIMIT,
                            () -> ConsoleReader.readUntil(p.getInputStream(), seen, "VFIO4J-PANIC"), seen::toString);
                    start = System.nanoTime();
                } else {
                    Thread.sleep(afterMs); // not synchronisation: the moment, 0.5-8 s into the I/O, the VMM is ended
                    start = System.nanoTime();
                    if (kind.equals("SIGKILL")) {
                        p.destroyForcibly();
                    } else {
                        p.destroy();
                    }
                }
                Thread drain = Thread.ofPlatform().start(() -> drain(p.getInputStream(), seen));
                assertTrue(p.waitFor(15, TimeUnit.SECONDS), "run " + i + " (" + kind + "): the VMM was not gone within "
                        + "15 s\n" + seen);
                teardown.add((System.nanoTime() - start) / 1e9);
                drain.join(5_000);
                List<String> holders = HostWatch.vfioHolders();
                assertEquals(List.of(), holders, "run " + i + " (" + kind + "): /dev/vfio still open after the VMM ended");
                long pinned = HostWatch.pinnedPages() - pinnedBaseline;
                assertTrue(Math.abs(pinned) <= 256, "run " + i + " (" + kind + "): " + pinned + " pages still pinned");
                if (kind.equals("SIGTERM")) {
                    assertTrue(!seen.toString().contains("\tat "), "a stack trace on SIGTERM\n" + seen);
                }
            } finally {
                p.destroyForcibly();
            }
        }
        powerAndDecode(",x-no-mmap=on");
        reusable++;
        List<Double> sorted = teardown.stream().sorted().toList();
        double p95 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(0.95 * sorted.size()) - 1));
        System.out.printf("hostile-figure lifecycle: %d of %d runs found the device reusable, 95th percentile "
                + "teardown %.2f s (max %.2f s)%n", reusable, 3 * perKind + 1, p95, sorted.getLast());
    }

    private static long rssKiB(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS for " + pid);
    }

    private static void drain(InputStream in, StringBuilder into) {
        try {
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0;) {
                synchronized (into) {
                    into.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        } catch (java.io.IOException e) {
            // the process ended: what it printed is in
        }
    }
}
