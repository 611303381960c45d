package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Binding a group to VFIO and back on a synthetic sysfs whose writes act like the kernel's (driver_override,
 * unbind, drivers_probe, a driver's bind), so the order of writes, the record of previous drivers and the
 * refusals are tested without a host.
 */
class HostBindingTest {
    private final Path sys;
    private final Path proc;
    private final Path state;
    private final List<String> writes = new ArrayList<>();
    private final HostBinding binding;

    HostBindingTest(@TempDir Path dir) throws IOException {
        FakeSysfs f = FakeSysfs.labLike(dir.resolve("sys"));
        sys = f.root();
        proc = Files.createDirectories(dir.resolve("proc/self")).getParent();
        Files.writeString(proc.resolve("self/mountinfo"), "22 1 0:21 / / rw - tmpfs tmpfs rw\n");
        Files.createDirectories(proc.resolve("net"));
        Files.writeString(proc.resolve("net/route"), "Iface\tDestination\tGateway\n");
        state = dir.resolve("run/bindings");
        binding = new HostBinding(sys, proc, state, this::kernelWrite);
    }

    /** What the kernel does for each write, on the fake tree: overrides, unbinds, probes and binds move the link. */
    private void kernelWrite(Path file, String value) throws IOException {
        writes.add(sys.relativize(file) + " <- " + value.strip());
        String name = file.getFileName().toString();
        if (name.equals("driver_override")) {
            Files.writeString(file, value);
        }
        if (file.toString().endsWith("/driver/unbind")) {
            Files.delete(device(value).resolve("driver"));
        } else if (name.equals("drivers_probe")) {
            Path dev = device(value);
            String override = Files.exists(dev.resolve("driver_override")) ? Files.readString(dev.resolve("driver_override")).strip() : "";
            link(dev, override.isEmpty() ? defaultDriver(value) : override);
        } else if (name.equals("bind")) {
            link(device(value), file.getParent().getFileName().toString());
        }
    }

    private Path device(String name) throws IOException {
        return sys.resolve("bus/pci/devices/" + name).toRealPath();
    }

    private static String defaultDriver(String name) {
        return name.equals("0000:02:01.0") ? "e1000" : "";
    }

    private void link(Path dev, String driver) throws IOException {
        Files.deleteIfExists(dev.resolve("driver"));
        if (!driver.isEmpty()) {
            Files.createSymbolicLink(dev.resolve("driver"), Files.createDirectories(sys.resolve("bus/pci/drivers/" + driver)));
        }
    }

    private String driver(String name) throws IOException {
        Path link = device(name).resolve("driver");
        return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : "";
    }

    @Test
    void theWholeGroupGoesToVfioAndBackToTheDriversItHad() throws IOException {
        List<HostBinding.Change> bound = binding.bind("0000:02:02.0", false);
        assertEquals(List.of(new HostBinding.Change("0000:02:01.0", "e1000", "vfio-pci")), bound,
                "the e1000 beside it moved; the bridge and the edu already on vfio-pci stayed");
        assertEquals(List.of("bus/pci/devices/0000:02:01.0/driver_override <- vfio-pci",
                "bus/pci/devices/0000:02:01.0/driver/unbind <- 0000:02:01.0", "bus/pci/drivers_probe <- 0000:02:01.0"),
                writes);
        assertEquals("e1000", Files.readString(state.resolve("0000:02:01.0")).strip(), "recorded before the change");
        writes.clear();
        List<HostBinding.Change> back = binding.unbind("0000:02:01.0");
        assertTrue(back.contains(new HostBinding.Change("0000:02:01.0", "vfio-pci", "e1000")), back.toString());
        assertEquals("e1000", driver("0000:02:01.0"));
        assertTrue(writes.contains("bus/pci/drivers/e1000/bind <- 0000:02:01.0"), "bound to the driver it had: " + writes);
        assertTrue(!Files.exists(state.resolve("0000:02:01.0")), "the record is gone once restored");
        // the edu had been on vfio-pci before anyone bound: with nothing recorded the kernel chooses (none)
        assertTrue(back.contains(new HostBinding.Change("0000:02:02.0", "vfio-pci", "")), back.toString());
    }

    @Test
    void aDeviceCarryingRoutesOrAMountedFilesystemIsRefusedUnlessForced() throws IOException {
        Path e1000 = device("0000:02:01.0");
        Files.createDirectories(e1000.resolve("net/eth0"));
        Files.writeString(e1000.resolve("net/eth0/flags"), "0x1003\n");
        Files.writeString(proc.resolve("net/route"), "Iface\tDestination\tGateway\neth0\t00000000\t0202000A\n");
        VfioException e = assertThrows(VfioException.class, () -> binding.bind("0000:02:02.0", false));
        assertTrue(e.getMessage().contains("0000:02:01.0: network interface eth0 is up and carries routes"), e.getMessage());
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertEquals(List.of(), writes, "nothing changed");
        assertEquals(1, binding.bind("0000:02:02.0", true).size(), "forced");

        Path edu = device("0000:00:04.0");
        Path ns = Files.createDirectories(edu.resolve("nvme/nvme0/nvme0c0n1"));
        Path head = Files.createDirectories(sys.resolve("devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1"));
        Files.writeString(head.resolve("dev"), "259:0\n");
        Files.createDirectories(head.resolve("nvme0n1p1"));
        Files.writeString(head.resolve("nvme0n1p1/dev"), "259:1\n");
        Files.createDirectories(sys.resolve("class/block"));
        Files.createSymbolicLink(sys.resolve("class/block/nvme0n1"), head);
        assertTrue(Files.isDirectory(ns));
        Files.writeString(proc.resolve("self/mountinfo"), "22 1 0:21 / / rw - tmpfs tmpfs rw\n"
                + "40 22 259:1 / /srv rw - ext4 /dev/nvme0n1p1 rw\n");
        assertEquals(List.of("a filesystem on its block device 259:1 is mounted at /srv"),
                binding.inUse(java.util.Objects.requireNonNull(new IommuGroups(sys).find("0000:00:04.0"))));
    }

    @Test
    void anUnknownDeviceIsNamed() {
        VfioException e = assertThrows(VfioException.class, () -> binding.bind("0000:09:00.0", false));
        assertTrue(e.getMessage().contains("no such device in sysfs"), e.getMessage());
    }
}
