package org.vfio4j.common.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.FakeSysfs;
import org.vfio4j.common.IommuGroups;

/** The diagnostic command's output and its errors, on a synthetic sysfs (no VFIO needed). */
class VfioToolTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Path sys, Path dev, String... args) {
        VfioTool tool = new VfioTool(new IommuGroups(sys), dev,
                new PrintStream(out, true, StandardCharsets.UTF_8));
        return VfioTool.run(args, tool, new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void groupsTextShowsViabilityAndTheBlocker(@TempDir Path dir) throws IOException {
        Path sys = FakeSysfs.labLike(dir.resolve("sys")).root();
        Path dev = Files.createDirectories(dir.resolve("dev"));
        Files.createFile(dev.resolve("3"));
        assertEquals(0, run(sys, dev, "groups"));
        String o = out();
        assertTrue(o.contains("group 3  " + dev.resolve("3") + "  viable"), o);
        assertTrue(o.contains("group 9  -  NOT viable"), o);
        assertTrue(o.contains("0000:02:01.0     8086:100e 0x020000   pci       e1000  <- blocks VFIO use of the group"), o);
        assertTrue(o.contains("(no driver)"), o);
    }

    @Test
    void groupsJson(@TempDir Path dir) throws IOException {
        Path sys = FakeSysfs.labLike(dir.resolve("sys")).root();
        assertEquals(0, run(sys, dir, "groups", "--json"));
        String o = out();
        assertTrue(o.startsWith("[\n  {\n    \"group\": 3,"), o);
        assertTrue(o.contains("\"driver\": \"e1000\",\n        \"blocks_vfio\": true"), o);
        assertTrue(o.contains("\"viable\": false"), o);
    }

    @Test
    void groupsShowEachDevicesCdevAndTheBackendsItCanUse(@TempDir Path dir) throws IOException {
        FakeSysfs f = FakeSysfs.labLike(dir.resolve("sys"));
        f.cdev("0000:00:04.0", "vfio0");
        Path dev = Files.createDirectories(dir.resolve("dev/vfio"));
        Files.createFile(dev.resolve("3"));
        Files.createFile(Files.createDirectories(dev.resolve("devices")).resolve("vfio0"));
        assertEquals(0, run(f.root(), dev, "groups", "--json"));
        String withoutIommufd = out();
        assertTrue(withoutIommufd.contains("\"cdev\": \"" + dev.resolve("devices/vfio0") + "\",\n        \"backends\": [\n"
                + "          \"container\"\n        ]"), withoutIommufd);
        Files.createFile(dir.resolve("dev/iommu"));
        out.reset();
        assertEquals(0, run(f.root(), dev, "groups"));
        String o = out();
        assertTrue(o.contains("vfio-pci  " + dev.resolve("devices/vfio0")), o);
        out.reset();
        assertEquals(0, run(f.root(), dev, "groups", "--json"));
        assertTrue(out().contains("\"container\",\n          \"iommufd\""), out());
        assertTrue(out().contains("\"driver\": \"e1000\",\n        \"blocks_vfio\": true,\n        \"cdev\": \"\",\n"
                + "        \"backends\": []"), "a device on its host driver has neither\n" + out());
    }

    @Test
    void helpListsEachCommandsOptionsAndExitsZero(@TempDir Path dir) throws IOException {
        assertEquals(0, run(dir, dir, "bind", "--help"));
        assertTrue(out().startsWith("vfio4j bind DEVICE [--force] [--json]"), out());
        assertTrue(!out().contains("vfio4j groups"), "only the command asked about");
        out.reset();
        assertEquals(0, run(dir, dir, "--help"));
        for (String c : List.of("groups [--json]", "info DEVICE", "bind DEVICE", "unbind DEVICE")) {
            assertTrue(out().contains("vfio4j " + c), out());
        }
        assertEquals("", err());
    }

    @Test
    void infoOnADeviceOnItsHostDriverSaysHowToBindIt(@TempDir Path dir) throws IOException {
        Path sys = FakeSysfs.labLike(dir.resolve("sys")).root();
        assertEquals(1, run(sys, dir, "info", "0000:02:01.0"));
        assertTrue(err().contains("0000:02:01.0 is bound to e1000, not vfio-pci; bind it first: "
                + "echo vfio-pci > /sys/bus/pci/devices/0000:02:01.0/driver_override"), err());
        assertEquals("", out());
    }

    @Test
    void infoErrors(@TempDir Path dir) throws IOException {
        Path sys = FakeSysfs.labLike(dir.resolve("sys")).root();
        assertEquals(1, run(sys, dir, "info", "0000:07:00.0"));
        assertTrue(err().contains("no device named '0000:07:00.0'"), err());
        assertEquals(1, run(sys, dir.resolve("nodev"), "info", "0000:00:04.0"));
        assertTrue(err().contains("/vfio does not exist: load VFIO (modprobe vfio-pci)"), err());
    }

    @Test
    void usageAndNoGroups(@TempDir Path dir) {
        assertEquals(2, run(dir, dir));
        assertEquals(2, run(dir, dir, "frobnicate"));
        assertTrue(err().contains("unknown command 'frobnicate'"), err());
        assertEquals(1, run(dir, dir, "groups"));
        assertTrue(err().contains("no IOMMU groups"), err());
    }
}
