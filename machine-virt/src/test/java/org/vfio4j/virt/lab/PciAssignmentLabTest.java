package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.vfio4j.virt.lab.spawner.SpawnerPluginJar;

/**
 * PCI assignment in the aarch64 lab: host PCI functions (the lab's emulated nvme and e1000e behind its SMMUv3, bound
 * to vfio-pci) assigned to a guest on machine-virt with KVM, used by the guest's own drivers.
 */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class PciAssignmentLabTest {
    private static PciGuest guest;
    /** The one boot that the nvme-alone checks share (a guest boot costs most of a minute in the lab). */
    private static PciGuest.Run nvmeAlone;

    @BeforeAll
    static void guestFiles() throws Exception {
        guest = PciGuest.prepare();
    }

    private static String nvme(String extra) {
        return "vfio-pci,host=" + LabDevice.NVME.bdf() + ",id=nvme0" + extra;
    }

    private static String e1000e() {
        return "vfio-pci,host=" + LabDevice.E1000E.bdf() + ",id=net0";
    }

    /** Test 2: the e1000e's driver probes and its link comes up. */
    static void assertE1000eWorks(PciGuest.Run r, String function) {
        String all = r.all();
        assertEquals(0, r.status(), all);
        assertTrue(r.out().contains("pci-function " + function + " 0x8086:0x10d3 driver=e1000e"), all);
        assertTrue(r.out().matches("(?s).*e1000e-eth\\d+-carrier=1.*"), "the e1000e's link did not come up\n" + all);
    }

    /** Test 1 (and 4 with x-no-mmap): probe, O_DIRECT write + read back, equal checksums, MSI-X counting. */
    static void assertNvmeWorks(PciGuest.Run r) {
        assertNvmeIo(r);
        assertTrue(r.out().contains("ITS-PCI-MSIX-0000:00:01.0"), "no MSI-X vector through the ITS\n" + r.all());
    }

    /** The nvme probed, the data came back equal, and its interrupts counted. */
    static void assertNvmeIo(PciGuest.Run r) {
        String all = r.all();
        assertEquals(0, r.status(), all);
        assertTrue(r.out().contains("VFIO4J-GUEST-DONE"), all);
        assertTrue(r.out().contains("pci-function 0000:00:01.0 0x1b36:0x0010 driver=nvme"), all);
        String written = r.value("nvme-write-md5");
        assertNotNull(written, all);
        assertEquals(written, r.value("nvme-read-md5"), all);
        long before = r.number("nvme-irqs-before").orElseThrow(() -> new AssertionError(all));
        long after = r.number("nvme-irqs-after").orElseThrow(() -> new AssertionError(all));
        assertTrue(after > before, "the nvme's interrupts did not count during the I/O\n" + all);
    }

    /**
     * The nvme alone at 00:01.0, one boot for three checks: its I/O with MSI-X, then a guest FLR, then a BAR moved by
     * the guest. Each check's test reads its part of the same run.
     */
    private static PciGuest.Run nvmeAlone(LabHost host) {
        if (nvmeAlone == null) {
            host.bindToVfio(LabDevice.NVME);
            nvmeAlone = guest.run(List.of(nvme("")), "vfio4j_nvme vfio4j_flr vfio4j_bar_move");
            System.out.println(nvmeAlone.all());
        }
        return nvmeAlone;
    }

    /**
     * Test 1, then the BAR moved by the guest: with the driver unbound, BAR 0 is rewritten higher through
     * config space and back; the VMM maps it at the new address and at the old one again, and the rebound driver
     * passes the write/read check at the restored BAR.
     */
    @Test
    void nvmeGuestWritesAndReadsBackWithMsixAndFollowsAMovedBar(LabHost host) {
        PciGuest.Run r = nvmeAlone(host);
        assertNvmeWorks(r);
        long old = Long.decode(r.value("bar-old"));
        long moved = Long.decode(r.value("bar-new"));
        assertTrue(moved > old, r.all());
        assertEquals(moved, Long.decode(r.value("bar-read-moved")), "the guest reads the moved BAR back\n" + r.all());
        assertEquals(old, Long.decode(r.value("bar-read-back")), r.all());
        String slot = String.format("virt: nvme0: BAR area 0x%x+", old);
        String movedSlot = String.format("virt: nvme0: BAR area 0x%x+", moved);
        int first = r.err().indexOf(slot);
        int atMoved = r.err().indexOf(movedSlot);
        assertTrue(first >= 0 && atMoved > first && r.err().indexOf(slot, atMoved) > atMoved,
                "the VMM did not map BAR 0 at the old address, then the moved one, then the old one again\n" + r.all());
        assertNotNull(r.value("moved-write-md5"), r.all());
        assertEquals(r.value("moved-write-md5"), r.value("moved-read-md5"), r.all());
    }

    /**
     * A guest function level reset: the guest's PCI core resets the nvme by FLR (its driver quiesces first and
     * re-initialises the controller after), the VMM performs it through VFIO and resets the virtual config space,
     * the guest restores its BARs, and the write/read check passes again after the reset.
     */
    @Test
    void aGuestFunctionLevelResetResetsTheNvmeAndItsDriverRecovers(LabHost host) {
        PciGuest.Run r = nvmeAlone(host);
        assertNvmeWorks(r);
        assertTrue(String.valueOf(r.value("flr-reset-methods")).contains("flr"), "the guest sees FLR advertised\n" + r.all());
        assertEquals("yes", r.value("flr-done"), r.all());
        assertTrue(r.err().contains("the guest initiated a function level reset; resetting the device through VFIO"), r.all());
        assertNotNull(r.value("flr-write-md5"), "no I/O after the reset\n" + r.all());
        assertEquals(r.value("flr-write-md5"), r.value("flr-read-md5"), r.all());
    }

    /**
     * Both devices in one guest, as two functions of one device number: the nvme at 00:01.0 with
     * multifunction=on, the e1000e at 00:01.1, each with its own requester ID for its MSI-X.
     */
    @Test
    void twoHostFunctionsShareOneGuestSlot(LabHost host) {
        host.bindToVfio(LabDevice.NVME);
        host.bindToVfio(LabDevice.E1000E);
        PciGuest.Run r = guest.run(List.of(nvme(",addr=01.0,multifunction=on"), e1000e() + ",addr=01.1"),
                "vfio4j_nvme vfio4j_e1000e");
        System.out.println(r.all());
        assertNvmeWorks(r);
        assertE1000eWorks(r, "0000:00:01.1");
        // its MSI-X carry requester ID 0x9 to the ITS: with another one they would reach no vector of its own
        assertTrue(r.number("e1000e-irqs").orElse(0) > 0, "no interrupts of function 1\n" + r.all());
        assertTrue(r.err().contains("is 00:01.1 on the guest's PCIe bus, requester ID 0x9"), r.all());
    }

    /**
     * INTx: with {@code pci=nomsi} the guest's nvme driver falls back to its INTA pin, which the host bridge's
     * interrupt-map swizzles to SPI 3 + (slot + pin - 1) mod 4 = SPI 4 (INTID 36) for slot 1; the level
     * interrupt goes through an irqfd and comes back through the resample eventfd on EOI. The BARs are assigned
     * with {@code x-no-mmap=on}, so every register access of that I/O traps to the VMM too.
     */
    @Test
    void nvmeOverIntxAndTheTrapPathWhenTheGuestRefusesMsi(LabHost host) {
        host.bindToVfio(LabDevice.NVME);
        PciGuest.Run r = guest.run(List.of(nvme(",x-no-mmap=on")), "vfio4j_nvme pci=nomsi");
        System.out.println(r.all());
        assertTrue(r.err().contains("x-no-mmap: every BAR access traps"), r.all());
        assertNvmeIo(r);
        assertTrue(r.out().matches("(?s).*nvme-irq-line \\d+:[ 0-9]+GICv3\\s+36\\s+Level.*"),
                "the nvme's interrupt is not INTID 36, level\n" + r.all());
    }

    /**
     * A guest that reboots: each boot probes the nvme, writes and reads back through it and reboots; the VMM
     * builds a fresh VM for each, releasing the device (VFIO resets it) and opening it again, and the second
     * boot's I/O passes with its MSI-X interrupts counting. Then SIGTERM ends the run. The nvme starts on its
     * host driver and is assigned with {@code x-managed=on}: bound to vfio-pci at start, kept across the reboot,
     * and on nvme again once the SIGTERM has ended the VMM.
     */
    @Test
    void anAssignedNvmeWorksAgainAfterTheGuestRebootsAndGoesBackToItsDriver(LabHost host) throws Exception {
        host.bindToHostDriver(LabDevice.NVME);
        List<String> args = new java.util.ArrayList<>(guest.args(List.of(nvme(",x-managed=on")),
                "vfio4j_nvme vfio4j_reboot"));
        assertTrue(args.remove("-no-reboot"), args::toString);
        Process p = new ProcessBuilder(PciGuest.childCommand(args)).redirectErrorStream(true).start();
        StringBuilder seen = new StringBuilder();
        try {
            for (int boot = 1; boot <= 2; boot++) {
                int b = boot;
                assertTimeoutPreemptively(PciGuest.BOOT_LIMIT,
                        () -> ConsoleReader.readUntil(p.getInputStream(), seen, "VFIO4J-GUEST-REBOOTING"),
                        () -> "boot " + b + " never reached its reboot:\n" + seen);
            }
            assertTrue(p.toHandle().destroy(), "SIGTERM could not be sent");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the VMM did not end within 60 s of SIGTERM");
            ConsoleReader.readUntil(p.getInputStream(), seen, null);
            assertEquals(143, p.exitValue(), seen.toString());
        } finally {
            p.destroyForcibly();
        }
        String all = seen.toString();
        System.out.println(all);
        int again = all.indexOf("the guest reset; booting again");
        assertTrue(again > 0, all);
        String second = all.substring(again);
        assertTrue(second.contains("pci-function 0000:00:01.0 0x1b36:0x0010 driver=nvme"), all);
        java.util.regex.Matcher w = java.util.regex.Pattern.compile("nvme-write-md5=(\\w+)").matcher(second);
        java.util.regex.Matcher r = java.util.regex.Pattern.compile("nvme-read-md5=(\\w+)").matcher(second);
        assertTrue(w.find() && r.find(), "no I/O on the second boot\n" + all);
        assertEquals(w.group(1), r.group(1), all);
        java.util.regex.Matcher before = java.util.regex.Pattern.compile("nvme-irqs-before=(\\d+)").matcher(second);
        java.util.regex.Matcher after = java.util.regex.Pattern.compile("nvme-irqs-after=(\\d+)").matcher(second);
        assertTrue(before.find() && after.find(), all);
        assertTrue(Long.parseLong(after.group(1)) > Long.parseLong(before.group(1)),
                "the nvme's interrupts did not count on the second boot\n" + all);
        // x-managed=on: bound to vfio-pci at start, kept across the reboot, given back after the SIGTERM
        assertTrue(all.indexOf("x-managed: " + LabDevice.NVME.bdf() + " nvme -> vfio-pci") < again, all);
        assertTrue(all.contains("x-managed: " + LabDevice.NVME.bdf() + " vfio-pci -> nvme"), all);
        assertEquals("nvme", host.driver(LabDevice.NVME), all);
    }

    /**
     * The sandbox, on by default for a VMM that is its own process: a plugin device that starts a program once the
     * guest runs is stopped with the call named, the VMM ends with status 1, and the nvme assigned beside it is
     * released (nobody holds {@code /dev/vfio}, its pages are unpinned). Starting the program is the one call the
     * VMM made off the allowlist, through its whole set-up and the guest's start.
     */
    @Test
    void aDeviceThatStartsAProgramOnceTheGuestRunsIsStoppedByTheSandbox(LabHost host) throws Exception {
        host.bindToVfio(LabDevice.NVME);
        long pinned = HostWatch.pinnedPages();
        Path plugins = SpawnerPluginJar.write(Files.createTempDirectory("vfio4j-spawner-"));
        List<String> args = new ArrayList<>(guest.args(List.of(nvme(""), "x-test-spawner"), "vfio4j_nvme"));
        args.addAll(List.of("-plugins", plugins.toString()));
        Process p = new ProcessBuilder(PciGuest.childCommand(List.of(),
                SpawnerPluginJar.withoutTestClasses(System.getProperty("java.class.path")), args))
                .redirectErrorStream(true).start();
        StringBuilder seen = new StringBuilder();
        int status;
        try {
            status = PciGuest.awaitEnd(p, seen);
        } finally {
            p.destroyForcibly();
        }
        String all = seen.toString();
        System.out.println(all);
        assertEquals(1, status, all);
        assertTrue(all.contains("the sandbox stopped clone (first argument 0x"), all);
        assertTrue(all.contains("in thread 'test-spawner'"), all);
        assertTrue(all.matches("(?s).*test-spawner: [^\n]*Operation not permitted.*"),
                "the start did not fail with EPERM\n" + all);
        assertTrue(!all.contains("the program ran"), all);
        assertEquals(1, all.lines().filter(l -> l.contains("the sandbox stopped")).count(), all);
        assertEquals(List.of(), HostWatch.vfioHolders(), all);
        assertTrue(Math.abs(HostWatch.pinnedPages() - pinned) <= 256, "pages still pinned\n" + all);
    }

    /**
     * Guest RAM in 2 MiB pages, spelled as QEMU spells it ({@code -object memory-backend-memfd,hugetlb=on,
     * hugetlbsize=2M} + {@code -machine memory-backend=}): the lab host reserves the pages, the VMM maps, pins
     * and DMA-maps them for the nvme, and the guest's I/O passes. While the guest runs, the VMM's RAM mapping
     * is in 2 MiB pages (its {@code smaps}) and the host's free hugepages are that many fewer; after, they are
     * back. The DMA-map time is printed beside the 4 KiB-page boot's.
     */
    @Test
    void guestRamInTwoMegabyteHugepagesIsPinnedAndMappedForTheNvme(LabHost host) throws Exception {
        String fourKiB = nvmeAlone(host).err();
        host.bindToVfio(LabDevice.NVME);
        long pages = PciGuest.MEMORY_BYTES / (2L << 20);
        Path nr = Path.of("/proc/sys/vm/nr_hugepages");
        String reserved = Files.readString(nr).strip();
        Files.writeString(nr, Long.toString(pages));
        try {
            assertEquals(pages, hugepages("HugePages_Free"), "the lab host could not reserve " + pages + " hugepages");
            List<String> args = new ArrayList<>(guest.args(List.of(nvme("")), "vfio4j_nvme"));
            args.addAll(List.of("-object", "memory-backend-memfd,id=m0,size=" + PciGuest.MEMORY + ",hugetlb=on,"
                    + "hugetlbsize=2M", "-machine", "memory-backend=m0"));
            Process p = new ProcessBuilder(PciGuest.childCommand(args)).redirectErrorStream(true).start();
            StringBuilder seen = new StringBuilder();
            long free;
            String pageSizes;
            int status;
            try {
                assertTimeoutPreemptively(PciGuest.BOOT_LIMIT,
                        () -> ConsoleReader.readUntil(p.getInputStream(), seen, "nvme-write-md5="),
                        () -> "the guest never wrote to the nvme:\n" + seen);
                free = hugepages("HugePages_Free");
                pageSizes = Files.readAllLines(Path.of("/proc/" + p.pid() + "/smaps")).stream()
                        .filter(l -> l.startsWith("KernelPageSize:")).distinct().toList().toString();
                status = PciGuest.awaitEnd(p, seen);
            } finally {
                p.destroyForcibly();
            }
            String all = seen.toString();
            System.out.println(all);
            PciGuest.Run r = new PciGuest.Run(status, all, all);
            assertNvmeWorks(r);
            assertEquals(0, free, "the guest's RAM did not take the reserved hugepages\n" + all);
            assertTrue(pageSizes.contains("2048 kB"), pageSizes);
            assertEquals(pages, hugepages("HugePages_Free"), "the hugepages came back after the run");
            System.out.printf("hugepage-figure: %s RAM DMA-mapped in %s ms on 4 KiB pages, %s ms on 2 MiB pages%n",
                    PciGuest.MEMORY, mapMillis(fourKiB), mapMillis(all));
        } finally {
            Files.writeString(nr, reserved);
        }
    }

    private static long hugepages(String field) throws java.io.IOException {
        for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (l.startsWith(field + ":")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no " + field + " in /proc/meminfo");
    }

    /** The VMM's "DMA-mapped ... in N ms", or "?". */
    private static String mapMillis(String err) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("DMA-mapped at IOVA = guest physical address in "
                + "(\\d+) ms").matcher(err);
        return m.find() ? m.group(1) : "?";
    }

    /**
     * The host wants the nvme back while a guest uses it: an unbind from vfio-pci on the host waits for the
     * device, and VFIO signals the VMM's REQ eventfd. The VMM reports it (this machine cannot unplug the device),
     * the unbind still waits while the VMM runs, and completes once SIGTERM has ended it.
     */
    @Test
    void theHostAskingForTheNvmeBackIsReportedAndItsUnbindCompletesWhenTheVmmEnds(LabHost host) throws Exception {
        host.bindToVfio(LabDevice.NVME);
        Process p = new ProcessBuilder(PciGuest.childCommand(guest.args(List.of(nvme("")), "vfio4j_nvme_loop")))
                .redirectErrorStream(true).start();
        StringBuilder seen = new StringBuilder();
        Process unbind = null;
        try {
            assertTimeoutPreemptively(PciGuest.BOOT_LIMIT,
                    () -> ConsoleReader.readUntil(p.getInputStream(), seen, "VFIO4J-IO-LOOP"),
                    () -> "the guest never started its I/O loop:\n" + seen);
            Process u = new ProcessBuilder("sh", "-c", "echo " + LabDevice.NVME.bdf()
                    + " > /sys/bus/pci/drivers/vfio-pci/unbind").redirectErrorStream(true).start();
            unbind = u;
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                    () -> ConsoleReader.readUntil(p.getInputStream(), seen, "back (its vfio-pci driver is being unbound)"),
                    () -> "no report of the host's request:\n" + seen);
            assertTrue(seen.toString().contains("virt: nvme0: the host asks for " + LabDevice.NVME.bdf()), seen.toString());
            assertTrue(u.isAlive(), "the host's unbind cannot finish while the VMM holds the device");
            assertTrue(p.toHandle().destroy(), "SIGTERM could not be sent");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), seen.toString());
            assertEquals(143, p.exitValue(), seen.toString());
            assertTrue(u.waitFor(60, TimeUnit.SECONDS), "the unbind did not finish after the VMM ended\n" + seen);
            assertEquals(0, u.exitValue());
            assertEquals("", host.driver(LabDevice.NVME), "the device has no driver after the unbind");
        } finally {
            p.destroyForcibly();
            if (unbind != null) {
                unbind.destroyForcibly();
            }
            host.bindToVfio(LabDevice.NVME);
        }
    }

    /** Test 6: without CAP_IPC_LOCK and with a memlock limit below guest RAM, the VMM says how much it needs. */
    @Test
    void aMemlockLimitBelowGuestRamIsRefusedWithTheSizeNeeded(LabHost host) throws Exception {
        host.bindToVfio(LabDevice.NVME);
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--bounding-set=-ipc_lock", "--inh-caps=-ipc_lock", "--",
                "prlimit", "--memlock=16777216:16777216", "--"));
        cmd.addAll(PciGuest.childCommand(guest.args(List.of(nvme("")), "vfio4j_nvme")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder seen = new StringBuilder();
        try {
            assertEquals(2, PciGuest.awaitEnd(p, seen), seen.toString());
            assertTrue(seen.toString().contains("RLIMIT_MEMLOCK is 16M; raise it to at least " + PciGuest.MEMORY),
                    seen.toString());
            assertTrue(!seen.toString().contains("Exception"), "a stack trace for a user mistake:\n" + seen);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aDeviceOnItsHostDriverIsRefusedWithTheBindCommands(LabHost host) {
        host.bindToHostDriver(LabDevice.NVME);
        try {
            PciGuest.Run r = guest.run(List.of(nvme("")), "vfio4j_nvme");
            assertEquals(2, r.status(), r.all());
            assertTrue(r.err().contains("is bound to nvme, not vfio-pci"), r.all());
            assertTrue(r.err().contains("driver_override") && r.err().contains("drivers_probe"), r.all());
        } finally {
            host.bindToVfio(LabDevice.NVME);
        }
    }

    @Test
    void theSameDeviceTwiceIsRefused(LabHost host) {
        host.bindToVfio(LabDevice.NVME);
        PciGuest.Run r = guest.run(List.of(nvme(""), "vfio-pci,host=" + LabDevice.NVME.bdf() + ",id=again"), "");
        assertEquals(2, r.status(), r.all());
        assertTrue(r.err().contains("already assigned by nvme0"), r.all());
    }
}
