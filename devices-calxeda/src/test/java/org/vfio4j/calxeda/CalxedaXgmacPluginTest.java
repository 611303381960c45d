package org.vfio4j.calxeda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.dt.DtEncoding;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.common.dt.DtValue;
import org.vfio4j.platform.SyntheticSysfs;
import org.vfio4j.virt.fdt.FdtReader;

/**
 * The plugin jar, loaded by machine-virt from {@code -plugins} in a JVM that does not have it on its class path:
 * the xgmac node matches the binding; without the plugin path the type is unknown; a missing reset module, a
 * device that is not an xgmac and an unknown property are one-line errors.
 */
class CalxedaXgmacPluginTest {

    /** A synthetic host with one xgmac (three level interrupts), the plugin jar in DIR/plugins, a dummy kernel. */
    private static final class Host {
        final Path dir;
        final SyntheticSysfs sysfs;
        final Path xgmac;
        final String plugins;
        final String kernel;

        Host(Path dir) throws Exception {
            this(dir, false);
        }

        Host(Path dir, boolean noIommu) throws Exception {
            this.dir = dir;
            this.sysfs = new SyntheticSysfs(dir);
            this.xgmac = sysfs.device("platform", "fff50000.ethernet", "vfio-platform", 3, noIommu,
                    new String[] {"calxeda,hb-xgmac"}, new long[] {0xfff50000L, 0x1000},
                    SyntheticSysfs.LEVEL, SyntheticSysfs.LEVEL, SyntheticSysfs.LEVEL);
            Path p = dir.resolve("plugins");
            PluginMachine.buildJar(p);
            this.plugins = p.toString();
            this.kernel = PluginMachine.dummyKernel(dir).toString();
        }

        void loadResetModule() throws Exception {
            Files.createDirectories(sysfs.sys.resolve("module/" + ResetModule.NAME));
        }
    }

    @Test
    void nodeMatchesTheXgmacBinding(@TempDir Path tmp) throws Exception {
        Host h = new Host(tmp);
        h.loadResetModule();
        Path dtb = tmp.resolve("virt.dtb");
        PluginMachine.Run r = PluginMachine.run(tmp, "-kernel", h.kernel, "-plugins", h.plugins,
                "-device", "vfio-calxeda-xgmac,id=eth0,sysfsdev=" + h.xgmac, "-machine", "dumpdtb=" + dtb);
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.err().contains("platform-bus    eth0: mmio 0xc000000+0x10000, spi 112 (INTID 144), 113 (INTID 145), 114 (INTID 146)"),
                r.toString());
        DtNode eth = FdtReader.read(Files.readAllBytes(dtb)).find("/platform-bus@c000000/ethernet@0").orElseThrow();
        // additionalProperties: false — exactly these four.
        assertEquals(List.of("compatible", "dma-coherent", "interrupts", "reg"),
                eth.properties().stream().map(DtProperty::name).sorted().toList());
        assertEquals(List.of("calxeda,hb-xgmac"), DtEncoding.strings(raw(eth, "compatible")));
        assertArrayEquals(new int[] {0, 0x1000}, DtEncoding.cells(raw(eth, "reg"))); // the host region's size, not the 64K allocation
        assertArrayEquals(new int[] {0, 112, 4, 0, 113, 4, 0, 114, 4}, DtEncoding.cells(raw(eth, "interrupts")));
        assertEquals(0, raw(eth, "dma-coherent").length);
    }

    @Test
    void inANoIommuGroupTheDmaMasterIsRefusedUnlessTheRiskIsAcceptedByName(@TempDir Path tmp) throws Exception {
        Host h = new Host(tmp, true);
        h.loadResetModule();
        Path dtb = tmp.resolve("virt.dtb");
        PluginMachine.Run refused = PluginMachine.run(tmp, "-kernel", h.kernel, "-plugins", h.plugins,
                "-device", "vfio-calxeda-xgmac,id=eth0,x-no-iommu=on,sysfsdev=" + h.xgmac, "-machine", "dumpdtb=" + dtb);
        assertEquals(2, refused.status(), refused.toString());
        assertTrue(refused.err().contains("masters DMA") && refused.err().contains("all of the host's memory")
                && refused.err().contains("x-no-iommu-unsafe-dma=on"), refused.toString());
        assertFalse(Files.exists(dtb), "no machine was made");

        PluginMachine.Run accepted = PluginMachine.run(tmp, "-kernel", h.kernel, "-plugins", h.plugins, "-device",
                "vfio-calxeda-xgmac,id=eth0,x-no-iommu=on,x-no-iommu-unsafe-dma=on,sysfsdev=" + h.xgmac,
                "-machine", "dumpdtb=" + dtb);
        assertEquals(0, accepted.status(), accepted.toString());
        assertTrue(accepted.err().contains("WITHOUT an IOMMU") && accepted.err().contains("reach all host memory"),
                "the warning says what no-IOMMU mode exposes: " + accepted);
        assertFalse(accepted.err().contains("gets no DMA"), accepted.toString());
    }

    @Test
    void withoutThePluginPathTheTypeIsUnknown(@TempDir Path tmp) throws Exception {
        Host h = new Host(tmp);
        h.loadResetModule();
        PluginMachine.Run r = PluginMachine.run(tmp, "-kernel", h.kernel, "-device", "vfio-calxeda-xgmac,sysfsdev=" + h.xgmac);
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("unknown device type 'vfio-calxeda-xgmac'"), r.toString());
        assertTrue(r.err().contains("need -plugins DIR"), r.toString());
    }

    @Test
    void missingResetModuleNamesItAndHowToLoadIt(@TempDir Path tmp) throws Exception {
        Host h = new Host(tmp);
        PluginMachine.Run r = PluginMachine.run(tmp, "-kernel", h.kernel, "-plugins", h.plugins,
                "-device", "vfio-calxeda-xgmac,sysfsdev=" + h.xgmac);
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("-device vfio-calxeda-xgmac: the host kernel has no Calxeda xgmac reset module "
                + "(vfio_platform_calxedaxgmac"), r.toString());
        assertTrue(r.err().contains("modprobe vfio-platform-calxedaxgmac"), r.toString());
        assertFalse(r.err().contains("\tat "), r.toString());
    }

    @Test
    void otherDevicesAndUnknownPropertiesAreRefused(@TempDir Path tmp) throws Exception {
        Host h = new Host(tmp);
        h.loadResetModule();
        Path other = h.sysfs.device("platform", "e0000000.uart", "vfio-platform", 4, false, new String[] {"ns16550a"},
                new long[] {0xe0000000L, 0x1000}, SyntheticSysfs.LEVEL);
        PluginMachine.Run r = PluginMachine.run(tmp, "-kernel", h.kernel, "-plugins", h.plugins,
                "-device", "vfio-calxeda-xgmac,sysfsdev=" + other);
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("e0000000.uart is not a Calxeda xgmac"), r.toString());
        r = PluginMachine.run(tmp, "-kernel", h.kernel, "-plugins", h.plugins, "-device", "vfio-calxeda-xgmac,mac=1");
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("unknown property 'mac'; vfio-calxeda-xgmac accepts: id, host, sysfsdev, compat, "
                + "x-no-iommu, x-no-iommu-unsafe-dma, x-no-mmap"), r.toString());
    }

    private static byte[] raw(DtNode n, String prop) {
        return ((DtValue.Bytes) n.property(prop).orElseThrow().value()).bytes();
    }
}
