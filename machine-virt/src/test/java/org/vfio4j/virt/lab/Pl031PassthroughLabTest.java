package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.lab.LabArch;
import org.vfio4j.lab.LabTest;
import org.vfio4j.platform.VfioPlatformDevice;
import org.vfio4j.virt.AssembledMachine;
import org.vfio4j.virt.CommandLine;
import org.vfio4j.virt.Main;
import org.vfio4j.virt.MachineRunner;
import org.vfio4j.virt.VirtMachine;
import org.vfio4j.virt.builtin.PassthroughActivity;
import org.vfio4j.virt.builtin.VfioSysBusDevice;
import org.vfio4j.virt.fdt.FdtWriter;
import org.vfio4j.virt.inject.VirtModules;

import com.google.inject.Guice;
import com.google.inject.Injector;

/**
 * Platform-device passthrough in the aarch64 lab (its own kernel: VFIO_AMBA, no-IOMMU mode, KVM): the lab host's real
 * PL031 RTC ({@code 9010000.pl031}, an AMBA PrimeCell of QEMU's virt machine, behind no IOMMU) is taken from
 * rtc-pl031, bound to vfio-amba ({@code /dev/vfio/noiommu-N}) and given to a machine-virt guest with
 * {@code -device vfio-amba,host=9010000.pl031,x-no-iommu=on}.
 *
 * <p>In the guest ({@code guest-init.sh}, mode {@code vfio4j_rtc}) the kernel's own rtc-pl031 driver probes the
 * generated node (AMBA ID registers read through the mapped region, the apb_pclk clock), the RTC's time
 * moves, and four alarms each raise exactly one interrupt. The PL031's line is level-triggered and VFIO masks
 * it on every interrupt; only the resample eventfd (signalled by KVM on the guest's EOI, wired to VFIO's
 * unmask) re-arms it, so four alarms prove that path — and the device's activity counts show that no guest
 * access trapped and no guest line was driven from user space: the VMM was not woken per interrupt.
 *
 * <p>Without {@code x-no-iommu=on} the device is refused before KVM is touched (exit 2, with the reason), and
 * the group stays usable: the test opens it itself and reads the PrimeCell ID. While the test holds the
 * group, a VMM asking for it gets exit 2 naming the busy group, after KVM set-up began (the runner's
 * device-start failure path). One guest boot in all; the PL031 goes back to rtc-pl031 at the end.
 */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class Pl031PassthroughLabTest {
    private static final Duration BOOT_LIMIT = Duration.ofMinutes(10);
    private static final String PL031 = "9010000.pl031";
    private static final Path AMBA = Path.of("/sys/bus/amba");
    private static final Path DEVICE = AMBA.resolve("devices").resolve(PL031);
    private static final int ALARMS = 4;
    private static Path kernel = Path.of("");
    private static Path initramfs = Path.of("");
    private static int group;
    /** The host's Linux IRQ number of the PL031's line, found while rtc-pl031 holds it. */
    private static String hostIrq = "";

    @BeforeAll
    static void takeThePl031FromTheHost() throws Exception {
        kernel = LabKernel.image();
        initramfs = GuestInitramfs.build(GuestInitramfs.LAB_BUSYBOX, Files.createTempDirectory("vfio4j-guest-")
                .resolve("initramfs.cpio"));
        assertEquals("rtc-pl031", driver(), "the lab host's PL031 should start on its own driver");
        hostIrq = irqWithAction("rtc-pl031");
        bind("vfio-amba");
        group = Integer.parseInt(Files.readSymbolicLink(DEVICE.resolve("iommu_group")).getFileName().toString());
        assertEquals("vfio-noiommu", Files.readString(Path.of("/sys/kernel/iommu_groups", "" + group, "name")).strip());
        assertTrue(Files.exists(Path.of("/dev/vfio/noiommu-" + group)), "no /dev/vfio/noiommu-" + group);
    }

    @AfterAll
    static void giveItBack() throws IOException {
        bind("");
        assertEquals("rtc-pl031", driver(), "the PL031 did not go back to rtc-pl031");
    }

    @Test
    void withoutTheNoIommuOptInItIsRefusedAndTheGroupStaysUsable() {
        Run refused = main("-device", "vfio-amba,id=rtc,host=" + PL031);
        assertEquals(2, refused.status(), refused.toString());
        assertTrue(refused.err().contains("vfio4j virt: -device vfio-amba: " + PL031 + " is in a no-IOMMU group "
                + "(/dev/vfio/noiommu-" + group + ")"), refused.toString());
        assertTrue(refused.err().contains("could take over the host") && refused.err().contains("x-no-iommu=on"),
                refused.toString());
        assertFalse(refused.err().contains("\tat "), refused.toString());

        try (VfioContainer c = VfioContainer.openUnsafeNoIommu()) {
            VfioGroup g = c.attach(group);
            try (VfioPlatformDevice dev = g.openDevice(PL031, VfioPlatformDevice::new)) {
                assertTrue(dev.amba());
                // PrimeCell ids at the end of the 4 KiB region: PeriphID0 0x31 (PL031), PCellID0 0x0d.
                assertEquals(0x31, dev.region(0).read32(0xfe0) & 0xff);
                assertEquals(0x0d, dev.region(0).read32(0xff0) & 0xff);

                // While we hold the group, a VMM cannot start the device: exit 2 after KVM set-up began, nothing leaked.
                Run busy = main("-device", "vfio-amba,id=rtc,x-no-iommu=on,host=" + PL031);
                assertEquals(2, busy.status(), busy.toString());
                assertTrue(busy.err().contains("virt: -device vfio-amba,id=rtc (host " + PL031 + "): cannot start it: "
                        + "open /dev/vfio/noiommu-" + group + " failed: EBUSY"), busy.toString());
                assertTrue(busy.err().contains("fuser /dev/vfio/noiommu-" + group), busy.toString());
            }
        }
    }

    @Test
    void theGuestsRtcDriverProbesTheNodeReadsTheClockAndTakesRepeatedAlarmsWithoutWakingTheVmm() throws Exception {
        long hostIrqsBefore = hostIrqCount();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        VfioSysBusDevice rtc = assertTimeoutPreemptively(BOOT_LIMIT, () -> {
            String[] args = args("vfio4j_rtc", "-device", "vfio-amba,id=rtc,x-no-iommu=on,host=" + PL031);
            Injector injector = Guice.createInjector(VirtModules.machine(CommandLine.parse(args).config(), List.of()));
            AssembledMachine machine = injector.getInstance(VirtMachine.class).assemble();
            int status = injector.getInstance(MachineRunner.class).run(machine, new FdtWriter().write(machine.deviceTree()),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(0, status, () -> out + "\n--- stderr\n" + err);
            return (VfioSysBusDevice) machine.devices().stream().filter(d -> d.id().equals("rtc")).findFirst().orElseThrow();
        }, "the guest did not finish within " + BOOT_LIMIT);
        long hostIrqs = hostIrqCount() - hostIrqsBefore;
        String guest = out.toString(StandardCharsets.UTF_8);
        PassthroughActivity activity = rtc.activity();
        String all = guest + "\n--- stderr\n" + err.toString(StandardCharsets.UTF_8) + "\n--- host interrupts on the PL031: "
                + hostIrqs + "; device: " + activity;
        System.out.println(all); // the figures for the report

        // The guest's own driver found the device at the platform-bus address the node gives.
        long base = rtc.allocation().regions().getFirst().base();
        assertTrue(guest.contains("rtc-name=rtc-pl031 " + Long.toHexString(base) + ".pl031"), all);
        assertTrue(guest.contains("rtc-device=" + Long.toHexString(base) + ".pl031"), all);
        // Nothing the guest touched fell outside the mapped registers (e.g. the rest of the 64K window).
        assertFalse(err.toString(StandardCharsets.UTF_8).contains("no device there"), all);

        Matcher time = Pattern.compile("rtc-time (\\d+) (\\d+)").matcher(guest);
        assertTrue(time.find(), all);
        long t1 = Long.parseLong(time.group(1));
        long t2 = Long.parseLong(time.group(2));
        assertTrue(t1 > 1_600_000_000L, "the RTC should hold the host's wall-clock time: " + t1);
        assertTrue(t2 - t1 >= 2 && t2 - t1 <= 30, "3 s of guest sleep moved the RTC from " + t1 + " to " + t2);

        // Each alarm raised a guest interrupt: the level line was re-armed (VFIO unmask on EOI) every time, and
        // deasserted when the guest's driver cleared the alarm (no storm: at most one more, which the host's own
        // count then shows too, as the lab's PL031 sometimes raises one when an alarm is set again).
        Matcher alarm = Pattern.compile("rtc-alarm (\\d) irqs (\\d+) -> (\\d+) after").matcher(guest);
        List<long[]> alarms = new ArrayList<>();
        while (alarm.find()) {
            alarms.add(new long[] {Long.parseLong(alarm.group(2)), Long.parseLong(alarm.group(3))});
        }
        assertEquals(ALARMS, alarms.size(), all);
        long seen = 0;
        for (int i = 0; i < ALARMS; i++) {
            long before = alarms.get(i)[0];
            long after = alarms.get(i)[1];
            assertTrue(before >= seen, "guest interrupts went back before alarm " + (i + 1) + "\n" + all);
            assertTrue(after > before && after <= before + 2, "guest interrupts at alarm " + (i + 1) + "\n" + all);
            seen = after;
        }
        // Every host interrupt of the PL031 during the run reached the guest once, and only through the kernel: the
        // guest's count at its end (the /proc/interrupts line it prints last, one CPU) is the host's.
        Matcher total = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+GICv3.*rtc-pl031\\s*$").matcher(guest);
        assertTrue(total.find(), all);
        assertTrue(Long.parseLong(total.group(1)) >= seen, all);
        assertEquals(Long.parseLong(total.group(1)), hostIrqs, all);
        assertEquals(List.of("resampled"), activity.routes(), all);
        assertEquals(0, activity.trappedAccesses(), all);
        assertEquals(0, activity.userSpaceLineChanges(), all);
    }

    private record Run(int status, String out, String err) {
        @Override
        public String toString() {
            return "status " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private static String[] args(String mode, String... device) {
        List<String> a = new ArrayList<>(List.of("-m", "256M", "-smp", "1", "-no-reboot", "-kernel", kernel.toString(),
                "-initrd", initramfs.toString(), "-append", "console=ttyAMA0 panic=-1 quiet " + mode));
        a.addAll(List.of(device));
        return a.toArray(String[]::new);
    }

    /** {@link Main#run} with a guest that would power off at once (the runs here end before it boots). */
    private static Run main(String... device) {
        return assertTimeoutPreemptively(BOOT_LIMIT, () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(args("", device), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        });
    }

    /** The Linux IRQ whose handler is named {@code action} ({@code /sys/kernel/irq/N/actions}). */
    private static String irqWithAction(String action) throws IOException {
        try (var irqs = Files.list(Path.of("/sys/kernel/irq"))) {
            List<Path> found = irqs.filter(d -> {
                try {
                    return Files.readString(d.resolve("actions")).strip().equals(action);
                } catch (IOException e) {
                    return false;
                }
            }).toList();
            assertEquals(1, found.size(), "IRQs with action " + action + ": " + found);
            return found.getFirst().getFileName().toString();
        }
    }

    /** Interrupts the host took on the PL031's line so far (all CPUs), from the kernel's per-IRQ counts. */
    private static long hostIrqCount() throws IOException {
        long sum = 0;
        for (String n : Files.readString(Path.of("/sys/kernel/irq", hostIrq, "per_cpu_count")).strip().split(",")) {
            sum += Long.parseLong(n);
        }
        return sum;
    }

    private static String driver() throws IOException {
        Path link = DEVICE.resolve("driver");
        return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : "";
    }

    /** Moves the PL031 to {@code target} through driver_override, as an administrator would; "" = its own driver. */
    private static void bind(String target) throws IOException {
        String current = driver();
        if (!current.isEmpty() && current.equals(target)) {
            return;
        }
        if (!current.isEmpty()) {
            Files.writeString(DEVICE.resolve("driver/unbind"), PL031);
        }
        Files.writeString(DEVICE.resolve("driver_override"), target.isEmpty() ? "\n" : target);
        Files.writeString(AMBA.resolve("drivers_probe"), PL031);
        String now = driver();
        assertEquals(target.isEmpty() ? "rtc-pl031" : target, now, "binding " + PL031 + " to " + target);
    }
}
