package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.dt.DtEncoding;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtValue;
import org.vfio4j.virt.fdt.FdtReader;

/**
 * A plugin jar built by the test adds {@code test-widget}; {@code -device} instantiates it on the
 * platform bus, after a built-in {@code platform-stub}, and both nodes appear in {@code dumpdtb} at
 * their allocated addresses with their allocated interrupts. Without the jar the type is unknown.
 */
class PluginJarTest {

    @Test
    void pluginTypeIsInstantiatedOnThePlatformBus(@TempDir Path dir) throws Exception {
        Path plugins = dir.resolve("plugins");
        TestPluginJar.build(dir.resolve("build"), plugins);
        Path kernel = MainHarness.dummyKernel(dir);
        Path dtb = dir.resolve("virt.dtb");
        MainHarness.Run r = MainHarness.run("-m", "512M", "-kernel", kernel.toString(), "-plugins", plugins.toString(),
                "-device", "platform-stub,compat=acme,,stub,size=0x1000,irqs=1",
                "-device", "test-widget,id=w0,label=first,size=128K",
                "-device", "test-widget,label=second",
                "-machine", "dumpdtb=" + dtb);
        assertEquals(0, r.status(), r.toString());
        // Deterministic allocation: stub at +0 (64K granule, SPI 112), w0 at +128K (aligned to its
        // 128K size, SPIs 113-114), the second widget right after it at +256K (SPIs 115-116); all reported.
        assertTrue(r.err().contains("platform-bus    platform-stub.0: mmio 0xc000000+0x10000, spi 112 (INTID 144)"), r.toString());
        assertTrue(r.err().contains("platform-bus    w0: mmio 0xc020000+0x20000, spi 113 (INTID 145), 114 (INTID 146)"), r.toString());
        assertTrue(r.err().contains("platform-bus    test-widget.0: mmio 0xc040000+0x10000, spi 115 (INTID 147), 116 (INTID 148)"), r.toString());

        DtNode bus = FdtReader.read(Files.readAllBytes(dtb)).find("/platform-bus@c000000").orElseThrow();
        assertEquals(List.of("stub@0", "widget@20000", "widget@40000"), bus.children().stream().map(DtNode::fullName).toList());
        DtNode w0 = bus.child("widget@20000").orElseThrow();
        assertEquals(List.of("acme,widget"), DtEncoding.strings(raw(w0, "compatible")));
        assertArrayEquals(new int[] {0x20000, 0x20000}, DtEncoding.cells(raw(w0, "reg")));
        assertArrayEquals(new int[] {0, 113, 4, 0, 114, 1}, DtEncoding.cells(raw(w0, "interrupts")));
        assertEquals(List.of("first"), DtEncoding.strings(raw(w0, "label")));
        assertEquals(0, raw(w0, "dma-coherent").length);
        DtNode w1 = bus.child("widget@40000").orElseThrow();
        assertArrayEquals(new int[] {0x40000, 0x10000}, DtEncoding.cells(raw(w1, "reg")));
        assertArrayEquals(new int[] {0, 115, 4, 0, 116, 1}, DtEncoding.cells(raw(w1, "interrupts")));
        DtNode stub = bus.child("stub@0").orElseThrow();
        assertEquals(List.of("acme,stub"), DtEncoding.strings(raw(stub, "compatible")));
        assertArrayEquals(new int[] {0, 112, 4}, DtEncoding.cells(raw(stub, "interrupts")));
    }

    @Test
    void pluginTypeIsListedAndDescribedByHelp(@TempDir Path dir) throws Exception {
        Path plugins = dir.resolve("plugins");
        TestPluginJar.build(dir.resolve("build"), plugins);
        MainHarness.Run types = MainHarness.run("-plugins", plugins.toString(), "-device", "help");
        assertEquals(0, types.status(), types.toString());
        assertTrue(types.out().contains("name \"test-widget\", bus platform-bus, desc \"a widget from a plugin jar\""), types.toString());
        MainHarness.Run props = MainHarness.run("-plugins", plugins.toString(), "-device", "test-widget,help");
        assertTrue(props.out().contains("label=<str>"), props.toString());
        MainHarness.Run bad = MainHarness.run("-kernel", MainHarness.dummyKernel(dir).toString(), "-plugins", plugins.toString(),
                "-device", "test-widget,colour=red");
        assertEquals(2, bad.status(), bad.toString());
        assertTrue(bad.err().contains("unknown property 'colour'; test-widget accepts: id, label, size"), bad.toString());
    }

    @Test
    void withoutThePluginPathTheTypeIsUnknown(@TempDir Path dir) throws Exception {
        TestPluginJar.build(dir.resolve("build"), dir.resolve("plugins"));
        MainHarness.Run r = MainHarness.run("-kernel", MainHarness.dummyKernel(dir).toString(), "-device", "test-widget");
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("unknown device type 'test-widget'; known types: pcie-root-port, platform-stub, vfio-amba, vfio-pci, vfio-platform"), r.toString());
        assertFalse(r.err().contains("\tat "), r.toString());
    }

    @Test
    void aJarWithoutAPluginIsRefusedByName(@TempDir Path dir) throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Path empty = plugins.resolve("empty.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(empty))) {
            out.putNextEntry(new java.util.jar.JarEntry("README"));
            out.closeEntry();
        }
        MainHarness.Run r = MainHarness.run("-plugins", plugins.toString(), "-device", "help");
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("plugin jar " + empty + " provides no org.vfio4j.virt.plugin.DevicePlugin"), r.toString());
    }

    @Test
    void twoPluginsRegisteringOneNameAreRefused(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        TestPluginJar.build(dir.resolve("build-a"), a);
        TestPluginJar.build(dir.resolve("build-b"), b);
        MainHarness.Run r = MainHarness.run("-plugins", a.toString(), "-plugins", b.toString(), "-device", "help");
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("Duplicate key \"test-widget\"") && r.err().contains("remove one of the jars"), r.toString());
        assertFalse(r.err().contains("\tat "), r.toString());
    }

    @Test
    void aWorldWritablePluginDirectoryIsRefusedBeforeAnythingLoads(@TempDir Path dir) throws Exception {
        Path plugins = dir.resolve("plugins");
        TestPluginJar.build(dir.resolve("build"), plugins);
        Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxrwxrwx"));
        MainHarness.Run r = MainHarness.run("-plugins", plugins.toString(), "-device", "help");
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("plugin directory " + plugins + " is writable by its group or by everyone"),
                r.toString());
        assertFalse(r.out().contains("test-widget"), "nothing was loaded from it: " + r);
        assertFalse(r.err().contains("\tat "), r.toString());
    }

    @Test
    void aGroupWritableJarIsRefused(@TempDir Path dir) throws Exception {
        Path plugins = dir.resolve("plugins");
        TestPluginJar.build(dir.resolve("build"), plugins);
        Path jar;
        try (var s = Files.list(plugins)) {
            jar = s.filter(p -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-r--"));
        MainHarness.Run r = MainHarness.run("-plugins", plugins.toString(), "-device", "help");
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("plugin jar " + jar + " is writable by its group"), r.toString());
    }

    @Test
    void aJarBehindASymbolicLinkOrOfAnotherUserIsRefused(@TempDir Path dir) throws Exception {
        Path plugins = dir.resolve("plugins");
        TestPluginJar.build(dir.resolve("build"), plugins);
        Path jar;
        try (var s = Files.list(plugins)) {
            jar = s.filter(p -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        Path linked = Files.createDirectories(dir.resolve("linked"));
        Files.createSymbolicLink(linked.resolve("widget.jar"), jar);
        MainHarness.Run r = MainHarness.run("-plugins", linked.toString(), "-device", "help");
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("is a symbolic link"), r.toString());

        org.junit.jupiter.api.Assumptions.assumeTrue(org.vfio4j.common.sys.Native.geteuid() == 0,
                "handing the jar to another user needs root");
        Files.setAttribute(jar, "unix:uid", 65534);
        MainHarness.Run other = MainHarness.run("-plugins", plugins.toString(), "-device", "help");
        assertEquals(2, other.status(), other.toString());
        assertTrue(other.err().contains("is owned by uid 65534, neither you (uid 0) nor root"), other.toString());
    }

    private static byte[] raw(DtNode n, String prop) {
        return ((DtValue.Bytes) n.property(prop).orElseThrow().value()).bytes();
    }

    private static void assertArrayEquals(int[] expected, int[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual,
                java.util.Arrays.toString(expected) + " vs " + java.util.Arrays.toString(actual));
    }
}
