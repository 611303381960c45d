package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vfio4j.lab.LabArch;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabResult;
import org.vfio4j.lab.LabTest;

/**
 * PCIe hot-plug of the lab's nvme, driven by QEMU's own QMP client library ({@code qemu.qmp}) with one script,
 * {@code qmp-hotplug.py}, against machine-virt and against the lab's QEMU 10.0, both started with the same
 * {@code -S}, {@code -device pcie-root-port,id=rp1,chassis=1,slot=1} and the PCI test guest watching for a device.
 * On both: {@code prelaunch} until {@code cont}; {@code device_add} refused on the root bus and on a bus that does
 * not exist, {@code device_del} of an unknown id {@code DeviceNotFound}; {@code device_add
 * driver=vfio-pci,host=...,bus=rp1}, the guest's {@code pciehp} and nvme driver probe it behind the port,
 * {@code query-pci} lists it there, a write/read-back with O_DIRECT has equal checksums while its MSI-X interrupts
 * count; {@code system_reset}, and the guest boots again with the device in its slot and uses it the same way;
 * {@code device_del}, the guest lets go, {@code DEVICE_DELETED}, and
 * the host's nvme driver binds the device again while the VMM still runs. Then the device is added once more and
 * the host unbinds vfio-pci from it, which VFIO turns into a request to the VMM (REQ): the VMM asks the guest to
 * unplug it, as QEMU does, a second {@code DEVICE_DELETED} comes and the host's unbind completes. Then
 * {@code system_powerdown}: the guest powers off, {@code SHUTDOWN}, and the VMM exits 0.
 *
 * <p>The time from the client's {@code device_add} to the guest's probe, and from {@code device_del} to
 * {@code DEVICE_DELETED} (mostly the five seconds {@code pciehp} waits after an attention button press, in which
 * a second press cancels), are printed for both with their ratios.
 */
@LabTest(arch = LabArch.AARCH64)
@Tag("aarch64")
class HotplugLabTest {
    private static final Duration LIMIT = Duration.ofMinutes(5);
    private static PciGuest guest;
    private static Path script = Path.of("");

    @BeforeAll
    static void guestFiles() throws Exception {
        guest = PciGuest.prepare();
        script = Files.createTempDirectory("vfio4j-hotplug-").resolve("qmp-hotplug.py");
        try (InputStream in = Objects.requireNonNull(HotplugLabTest.class.getResourceAsStream("qmp-hotplug.py"))) {
            Files.copy(in, script);
        }
    }

    /** The times one hot-plug round took, in milliseconds: to the probe, of which device_add's reply, and to deletion. */
    private record Round(double probe, double reply, double delete) {
    }

    private static List<String> command(String vmm, Path socket) {
        List<String> args = new ArrayList<>(guest.args(List.of("pcie-root-port,id=rp1,chassis=1,slot=1"),
                "vfio4j_hotplug"));
        args.remove("-no-reboot");   // system_reset must boot the guest again
        args.addAll(List.of("-S", "-qmp", "unix:" + socket + ",server=on,wait=on"));
        if (vmm.equals("machine-virt")) {
            return PciGuest.childCommand(PciGuest.LAUNCHER_JVM, args);
        }
        List<String> cmd = new ArrayList<>(List.of("qemu-system-aarch64", "-M", "virt,gic-version=3", "-enable-kvm",
                "-cpu", "host", "-display", "none", "-monitor", "none", "-serial", "stdio", "-nic", "none"));
        cmd.addAll(args);
        return cmd;
    }

    private static Round hotplug(String vmm, LabHost host) throws Exception {
        host.bindToVfio(LabDevice.NVME);
        Path socket = Files.createTempDirectory("vfio4j-hotplug-sock-").resolve("vm.qmp");
        Process vm = new ProcessBuilder(command(vmm, socket)).redirectErrorStream(true).start();
        Process client = null;
        StringBuilder console = new StringBuilder();
        StringBuilder said = new StringBuilder();
        try {
            read(vm, console, "waiting for", vmm + " did not wait for a QMP client", said);
            Process c = new ProcessBuilder("python3", script.toString(), socket.toString(), LabDevice.NVME.bdf())
                    .redirectErrorStream(true).start();
            client = c;
            read(vm, console, "VFIO4J-HOTPLUG-READY", "the guest on " + vmm + " never got ready", said);
            try (OutputStream toClient = c.getOutputStream()) {
                tell(toClient, "ready");
                read(c, said, "QMP: device_add\n", "the client never sent device_add to " + vmm, console);
                long added = System.nanoTime();
                read(vm, console, "hotplug-probed=", "the guest on " + vmm + " never probed the nvme", said);
                long probed = System.nanoTime();
                tell(toClient, "probed");
                read(vm, console, "VFIO4J-HOTPLUG-IO-DONE", "no I/O on the hot-plugged nvme on " + vmm, said);
                tell(toClient, "io-done");
                read(c, said, "QMP: system_reset\n", "the client never reset " + vmm, console);
                read(vm, console, "VFIO4J-GUEST-MARKER", "the guest did not boot again on " + vmm, said);
                read(vm, console, "VFIO4J-HOTPLUG-IO-DONE", "no I/O on the nvme after the reset on " + vmm, said);
                tell(toClient, "io-done");
                read(c, said, "QMP: device_del\n", "the client never sent device_del to " + vmm, console);
                long deleting = System.nanoTime();
                read(c, said, "QMP: deleted\n", "no DEVICE_DELETED from " + vmm, console);
                long deleted = System.nanoTime();
                assertHostHasItBack(host, vmm);
                host.bindToVfio(LabDevice.NVME);
                tell(toClient, "again");
                read(c, said, "QMP: device_add again\n", "the client could not add the nvme again to " + vmm, console);
                read(vm, console, "hotplug-again=", "the guest on " + vmm + " never probed the nvme again", said);
                assertHostUnbindIsAnUnplugRequest(host, c, said, vmm, console);
                read(vm, console, "VFIO4J-HOTPLUG-POWER-WAIT", "the guest on " + vmm + " did not see it go", said);
                tell(toClient, "power");
                assertTimeoutPreemptively(LIMIT, () -> ConsoleReader.readUntil(c.getInputStream(), said, null));
                assertTrue(c.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, c.exitValue(), () -> "the client failed on " + vmm + ":\n" + said + "\n--- " + vmm
                        + "\n" + console);
                assertTrue(said.toString().contains("QMP-HOTPLUG-OK"), said::toString);
                assertEquals(0, PciGuest.awaitEnd(vm, console), () -> vmm + ":\n" + console);
                assertGuestUsedAndReleasedIt(console.toString(), vmm + ":\n" + console + "\n--- client\n" + said);
                Matcher reply = Pattern.compile("device_add returned in (\\d+) ms").matcher(said);
                assertTrue(reply.find(), said::toString);
                return new Round((probed - added) / 1e6, Double.parseDouble(reply.group(1)), (deleted - deleting) / 1e6);
            }
        } finally {
            if (client != null) {
                client.destroyForcibly();
            }
            vm.destroyForcibly();
            vm.waitFor(60, TimeUnit.SECONDS);
            host.bindToHostDriver(LabDevice.NVME);
        }
    }

    static void read(Process p, StringBuilder into, String marker, String failure, StringBuilder other) {
        assertTimeoutPreemptively(LIMIT, () -> ConsoleReader.readUntil(p.getInputStream(), into, marker),
                () -> failure + ":\n" + into + "\n---\n" + other);
        assertTrue(into.toString().contains(marker), () -> failure + " (it ended):\n" + into + "\n---\n" + other);
    }

    static void tell(OutputStream client, String word) throws java.io.IOException {
        client.write((word + "\n").getBytes(StandardCharsets.US_ASCII));
        client.flush();
    }

    /** The VMM has let the device go: the host's nvme driver binds it, and its namespace reads, with the VMM running. */
    private static void assertHostHasItBack(LabHost host, String vmm) {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> host.bindToHostDriver(LabDevice.NVME),
                () -> vmm + " still holds the nvme after DEVICE_DELETED: the host's driver cannot bind it");
        assertEquals("nvme", host.driver(LabDevice.NVME));
        LabResult read = host.sh("for i in $(seq 100); do [ -b /dev/nvme0n1 ] && break; sleep 0.1; done; "
                + "dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=16 iflag=direct 2>&1");
        assertTrue(read.ok(), () -> "the host's namespace does not read after " + vmm + " gave it back: "
                + read.output());
    }

    /**
     * The host unbinds vfio-pci from the device the guest uses: the kernel asks the VMM for it (VFIO's REQ), the
     * VMM presses the slot's button, the guest lets go, {@code DEVICE_DELETED} follows and the host's unbind, which
     * waits for the device, completes while the VMM runs on.
     */
    private static void assertHostUnbindIsAnUnplugRequest(LabHost host, Process client, StringBuilder said, String vmm,
            StringBuilder console) throws Exception {
        Process unbind = new ProcessBuilder("sh", "-c", "echo " + LabDevice.NVME.bdf()
                + " > /sys/bus/pci/drivers/vfio-pci/unbind").redirectErrorStream(true).start();
        try {
            read(client, said, "QMP: deleted again\n", vmm + " did not turn the host's request into an unplug",
                    console);
            assertTrue(unbind.waitFor(60, TimeUnit.SECONDS), "the host's unbind still waits after DEVICE_DELETED");
            assertEquals(0, unbind.exitValue());
            assertEquals("", host.driver(LabDevice.NVME), "the unbind left the device without a driver");
        } finally {
            unbind.destroyForcibly();
        }
    }

    /**
     * Both boots used the device: the hot-plugged one at 01:00.0, and after the reset the same device, which stayed
     * in its slot; each wrote and read back equal data while its interrupts counted. The second boot saw the device
     * go, come back and go again.
     */
    private static void assertGuestUsedAndReleasedIt(String console, String all) {
        int second = console.indexOf("VFIO4J-GUEST-MARKER", console.indexOf("VFIO4J-GUEST-MARKER") + 1);
        assertTrue(second > 0, "one boot only\n" + all);
        assertBootUsedIt(console.substring(0, second), all);
        String after = console.substring(second);
        assertBootUsedIt(after, all);
        assertTrue(after.contains("VFIO4J-GUEST-POWER-BUTTON"), "the guest did not see its power button\n" + all);
        assertEquals("yes", value(after, "hotplug-removed"), all);
        assertEquals("0000:01:00.0", value(after, "hotplug-again"), all);
        assertEquals("yes", value(after, "hotplug-removed-again"), all);
    }

    private static void assertBootUsedIt(String console, String all) {
        assertTrue(console.matches("(?s).*hotplug-slots=[^\\n]*\\b1\\b.*"), "the guest has no hot-plug slot 1\n" + all);
        assertEquals("0000:01:00.0", value(console, "hotplug-probed"), all);
        String written = value(console, "hotplug-write-md5");
        assertNotNull(written, all);
        assertEquals(written, value(console, "hotplug-read-md5"), all);
        long before = Long.parseLong(Objects.requireNonNull(value(console, "hotplug-irqs-before"), all));
        long after = Long.parseLong(Objects.requireNonNull(value(console, "hotplug-irqs-after"), all));
        assertTrue(after > before, "the nvme's interrupts did not count\n" + all);
    }

    static String value(String console, String key) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(key) + "=(\\S*)").matcher(console);
        return m.find() ? m.group(1) : null;
    }

    @Test
    void qemusClientHotPlugsAndUnplugsTheNvmeOnMachineVirtAndQemu(LabHost host) throws Exception {
        Round virt = hotplug("machine-virt", host);
        Round qemu = hotplug("qemu", host);
        System.out.printf(Locale.ROOT, "hot-plug, device_add to the guest's nvme probe (ms): machine-virt %.0f, QEMU "
                + "%.0f, ratio %.2f; of which device_add's reply: %.0f, %.0f; device_del to DEVICE_DELETED (ms): "
                + "machine-virt %.0f, QEMU %.0f, ratio %.2f%n", virt.probe(), qemu.probe(), virt.probe() / qemu.probe(),
                virt.reply(), qemu.reply(), virt.delete(), qemu.delete(), virt.delete() / qemu.delete());
    }
}
