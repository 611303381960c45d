package org.vfio4j.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host facts and assignability checks over a synthetic sysfs tree. */
class HostPlatformDeviceTest {

    @Test
    void readsCompatibleRegSizesAndTriggersFromTheHostNode(@TempDir Path root) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(root);
        s.device("platform", "fff50000.ethernet", "vfio-platform", 3, false, new String[] {"calxeda,hb-xgmac", "generic"},
                new long[] {0xfff50000L, 0x1000}, SyntheticSysfs.LEVEL, SyntheticSysfs.EDGE, SyntheticSysfs.LEVEL);
        HostPlatformDevice d = HostPlatformDevice.locate(s.sys, "fff50000.ethernet");
        assertEquals("platform", d.bus());
        assertEquals("vfio-platform", d.driver());
        assertEquals(3, d.group());
        assertFalse(d.noIommu());
        assertEquals(List.of("calxeda,hb-xgmac", "generic"), d.compatible());
        assertEquals(List.of(0x1000L), d.regSizes());
        assertEquals(List.of(HostTrigger.LEVEL_HIGH, HostTrigger.EDGE_RISING, HostTrigger.LEVEL_HIGH), d.triggers());
        d.checkAssignable(false);
    }

    @Test
    void regSizesFollowTheParentsSizeCellsAndAmbaIsFound(@TempDir Path root) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(root);
        Path dev = s.device("amba", "9010000.pl031", "vfio-amba", 0, false, new String[] {"arm,pl031", "arm,primecell"},
                new long[] {0x9010000, 0x1000, 0x9020000, 0x2000}, SyntheticSysfs.LEVEL);
        HostPlatformDevice d = HostPlatformDevice.at(dev);
        assertEquals("amba", d.bus());
        assertEquals("vfio-amba", d.vfioDriver());
        assertEquals(List.of(0x1000L, 0x2000L), d.regSizes());
        // Two-cell interrupt parent: the flags are the second cell.
        Path node = d.dir().resolve("of_node").toRealPath();
        Path intc = Files.createDirectories(node.getParent().resolve("gpio-intc"));
        SyntheticSysfs.cells(intc.resolve("phandle"), 7);
        SyntheticSysfs.cells(intc.resolve("#interrupt-cells"), 2);
        SyntheticSysfs.cells(node.resolve("interrupt-parent"), 7);
        SyntheticSysfs.cells(node.resolve("interrupts"), 5, 1, 6, 8);
        assertEquals(List.of(HostTrigger.EDGE_RISING, HostTrigger.LEVEL_LOW), HostPlatformDevice.at(dev).triggers());
    }

    @Test
    void missingDeviceNamesWhereItLooked(@TempDir Path root) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(root);
        PlatformSetupException e = assertThrows(PlatformSetupException.class, () -> HostPlatformDevice.locate(s.sys, "nope.uart"));
        assertTrue(e.getMessage().contains("no host device 'nope.uart'"), e.getMessage());
        assertTrue(e.getMessage().contains("bus/amba/devices"), e.getMessage());
    }

    @Test
    void deviceOnAHostDriverIsRefusedWithTheDriverOverrideCommands(@TempDir Path root) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(root);
        s.device("amba", "9010000.pl031", "rtc-pl031", 0, false, new String[] {"arm,pl031"}, new long[] {0, 0x1000},
                SyntheticSysfs.LEVEL);
        HostPlatformDevice d = HostPlatformDevice.locate(s.sys, "9010000.pl031");
        PlatformSetupException e = assertThrows(PlatformSetupException.class, () -> d.checkAssignable(false));
        assertTrue(e.getMessage().contains("bound to rtc-pl031, not to vfio-amba"), e.getMessage());
        assertTrue(e.getMessage().contains("echo vfio-amba > /sys/bus/amba/devices/9010000.pl031/driver_override"), e.getMessage());
        assertTrue(e.getMessage().contains("echo 9010000.pl031 > /sys/bus/amba/devices/9010000.pl031/driver/unbind"), e.getMessage());
        assertTrue(e.getMessage().contains("echo 9010000.pl031 > /sys/bus/amba/drivers_probe"), e.getMessage());
    }

    @Test
    void groupWithADeviceOnAHostDriverIsNotViable(@TempDir Path root) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(root);
        s.device("platform", "a.dev", "vfio-platform", 5, false, new String[] {"x,a"}, new long[] {0, 0x1000});
        s.device("platform", "b.dev", "some-driver", 5, false, new String[] {"x,b"}, new long[] {0x1000, 0x1000});
        PlatformSetupException e = assertThrows(PlatformSetupException.class,
                () -> HostPlatformDevice.locate(s.sys, "a.dev").checkAssignable(false));
        assertTrue(e.getMessage().contains("IOMMU group 5 of a.dev is not viable: b.dev is on some-driver"), e.getMessage());
    }

    @Test
    void noIommuGroupNeedsTheOptInAndSaysWhy(@TempDir Path root) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(root);
        s.device("amba", "9010000.pl031", "vfio-amba", 0, true, new String[] {"arm,pl031", "arm,primecell"},
                new long[] {0x9010000, 0x1000}, SyntheticSysfs.LEVEL);
        HostPlatformDevice d = HostPlatformDevice.locate(s.sys, "9010000.pl031");
        assertTrue(d.noIommu());
        PlatformSetupException e = assertThrows(PlatformSetupException.class,
                () -> new PlatformPassthrough(d, PassthroughOptions.defaults()));
        assertTrue(e.getMessage().contains("no-IOMMU group (/dev/vfio/noiommu-0)"), e.getMessage());
        assertTrue(e.getMessage().contains("any host memory"), e.getMessage());
        assertTrue(e.getMessage().contains("x-no-iommu=on"), e.getMessage());
        PlatformPassthrough p = new PlatformPassthrough(d, new PassthroughOptions(List.of(), true, false));
        assertEquals(1, p.warnings().size());
        assertTrue(p.warnings().getFirst().startsWith("WARNING: 9010000.pl031 is assigned WITHOUT an IOMMU"), p.warnings().toString());
    }

    @Test
    void deviceWithoutGroupOrNodeIsRefused(@TempDir Path root) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(root);
        Path dev = s.device("platform", "c.dev", "vfio-platform", -1, false, new String[] {"x,c"}, new long[] {0, 0x1000});
        PlatformSetupException e = assertThrows(PlatformSetupException.class, () -> HostPlatformDevice.at(dev).checkAssignable(false));
        assertTrue(e.getMessage().contains("has no IOMMU group"), e.getMessage());
        Files.delete(dev.resolve("of_node"));
        e = assertThrows(PlatformSetupException.class, () -> HostPlatformDevice.at(dev));
        assertTrue(e.getMessage().contains("has no device-tree node"), e.getMessage());
    }

    @Test
    void compatOverridesTheHostList(@TempDir Path root) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(root);
        s.device("platform", "a.dev", "vfio-platform", 1, false, new String[] {"x,a"}, new long[] {0, 0x1000});
        HostPlatformDevice d = HostPlatformDevice.locate(s.sys, "a.dev");
        assertEquals(List.of("x,a"), new PlatformPassthrough(d, PassthroughOptions.defaults()).compatible());
        PlatformPassthrough p = new PlatformPassthrough(d, new PassthroughOptions(List.of("y,b", "y,base"), false, false));
        assertEquals(List.of("y,b", "y,base"), p.compatible());
        assertTrue(p.warnings().isEmpty());
    }
}
