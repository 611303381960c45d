package org.vfio4j.virt;

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
import org.vfio4j.common.dt.DtValue;
import org.vfio4j.platform.SyntheticSysfs;
import org.vfio4j.virt.fdt.FdtReader;

/**
 * {@code vfio-platform} and {@code vfio-amba} over a synthetic sysfs tree ({@code sysfsdev=}): the nodes land
 * on the platform bus at the allocated addresses with the allocated SPIs and the host's trigger types, without
 * VFIO; host problems are one-line errors with exit status 2.
 */
class VfioPlatformDtbTest {

    @Test
    void platformAndAmbaNodesAreWrittenFromSysfsFacts(@TempDir Path dir) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(dir);
        Path eth = s.device("platform", "fff50000.ethernet", "vfio-platform", 2, false,
                new String[] {"snps,dwmac-3.70a", "snps,dwmac"}, new long[] {0xfff50000L, 0x2000},
                SyntheticSysfs.LEVEL, SyntheticSysfs.EDGE);
        Path rtc = s.device("amba", "9010000.pl031", "vfio-amba", 0, true, new String[] {"arm,pl031"},
                new long[] {0x9010000, 0x1000}, SyntheticSysfs.LEVEL);
        Path dtb = dir.resolve("virt.dtb");
        MainHarness.Run r = MainHarness.run("-kernel", MainHarness.dummyKernel(dir).toString(),
                "-device", "platform-stub,compat=acme,,stub",
                "-device", "vfio-platform,id=eth,sysfsdev=" + eth,
                "-device", "vfio-amba,id=rtc,x-no-iommu=on,sysfsdev=" + rtc,
                "-machine", "dumpdtb=" + dtb);
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.err().contains("platform-bus    eth: mmio 0xc010000+0x10000, spi 113 (INTID 145), 114 (INTID 146)"), r.toString());
        assertTrue(r.err().contains("platform-bus    rtc: mmio 0xc020000+0x10000, spi 115 (INTID 147)"), r.toString());

        DtNode bus = FdtReader.read(Files.readAllBytes(dtb)).find("/platform-bus@c000000").orElseThrow();
        DtNode e = bus.child("dwmac-3.70a@10000").orElseThrow();
        assertEquals(List.of("snps,dwmac-3.70a", "snps,dwmac"), DtEncoding.strings(raw(e, "compatible")));
        // reg gives the host region sizes (the guest driver sizes its mapping by them), not the 64K allocation.
        assertArrayEquals(new int[] {0x10000, 0x2000}, DtEncoding.cells(raw(e, "reg")));
        assertArrayEquals(new int[] {0x20000, 0x1000}, DtEncoding.cells(raw(bus.child("pl031@20000").orElseThrow(), "reg")));
        // GIC SPI cells: <0 spi flags>; the host's level line stays level-high (4), its edge line rising (1).
        assertArrayEquals(new int[] {0, 113, 4, 0, 114, 1}, DtEncoding.cells(raw(e, "interrupts")));

        DtNode pl031 = bus.child("pl031@20000").orElseThrow();
        assertEquals(List.of("arm,pl031", "arm,primecell"), DtEncoding.strings(raw(pl031, "compatible")));
        assertArrayEquals(new int[] {0, 115, 4}, DtEncoding.cells(raw(pl031, "interrupts")));
        assertEquals(List.of("apb_pclk"), DtEncoding.strings(raw(pl031, "clock-names")));
        DtNode root = FdtReader.read(Files.readAllBytes(dtb));
        int clk = DtEncoding.cells(raw(root.find("/apb-pclk").orElseThrow(), "phandle"))[0];
        assertArrayEquals(new int[] {clk}, DtEncoding.cells(raw(pl031, "clocks")));

        // dtc reads the blob back without complaint, and shows the nodes as a person would check them.
        DtbTool.Result dts = DtbTool.run(List.of("dtc", "-I", "dtb", "-O", "dts", dtb.toString()), dir);
        assertEquals(0, dts.status(), dts.err());
        assertEquals("", dts.err().strip(), "dtc warnings");
        assertTrue(dts.out().contains("interrupts = <0x00 0x71 0x04 0x00 0x72 0x01>;"), dts.out());
        assertTrue(dts.out().contains("compatible = \"arm,pl031\\0arm,primecell\";") // dtc 1.6 spelling
                || dts.out().contains("compatible = \"arm,pl031\", \"arm,primecell\";"), dts.out());
    }

    @Test
    void compatOverridesTheHostCompatible(@TempDir Path dir) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(dir);
        Path dev = s.device("platform", "a.dev", "vfio-platform", 1, false, new String[] {"x,a"}, new long[] {0, 0x1000});
        Path dtb = dir.resolve("virt.dtb");
        MainHarness.Run r = MainHarness.run("-kernel", MainHarness.dummyKernel(dir).toString(),
                "-device", "vfio-platform,compat=acme,,thing;acme,,base,sysfsdev=" + dev, "-machine", "dumpdtb=" + dtb);
        assertEquals(0, r.status(), r.toString());
        DtNode n = FdtReader.read(Files.readAllBytes(dtb)).find("/platform-bus@c000000/thing@0").orElseThrow();
        assertEquals(List.of("acme,thing", "acme,base"), DtEncoding.strings(raw(n, "compatible")));
        assertTrue(n.property("interrupts").isEmpty(), "a device without interrupts gets no interrupts property");
    }

    @Test
    void hostProblemsAreOneLineErrors(@TempDir Path dir) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(dir);
        Path rtc = s.device("amba", "9010000.pl031", "vfio-amba", 0, true, new String[] {"arm,pl031"},
                new long[] {0x9010000, 0x1000}, SyntheticSysfs.LEVEL);
        Path gpio = s.device("amba", "9030000.pl061", "pl061_gpio", 1, false, new String[] {"arm,pl061"},
                new long[] {0x9030000, 0x1000}, SyntheticSysfs.LEVEL);
        Path a = s.device("platform", "a.dev", "vfio-platform", 7, false, new String[] {"x,a"}, new long[] {0, 0x1000});
        s.device("platform", "b.dev", "b-driver", 7, false, new String[] {"x,b"}, new long[] {0x1000, 0x1000});
        String k = MainHarness.dummyKernel(dir).toString();
        error("IOMMU group 7 of a.dev is not viable: b.dev is on b-driver", "-kernel", k, "-device", "vfio-platform,sysfsdev=" + a);
        error("no-IOMMU group (/dev/vfio/noiommu-0): nothing isolates it", "-kernel", k, "-device", "vfio-amba,sysfsdev=" + rtc);
        error("9030000.pl061 is bound to pl061_gpio, not to vfio-amba; bind it with: modprobe vfio-amba; echo vfio-amba > "
                + "/sys/bus/amba/devices/9030000.pl061/driver_override", "-kernel", k, "-device", "vfio-amba,sysfsdev=" + gpio);
        error("is on the amba bus, not the platform bus; use -device vfio-amba,host=9010000.pl031", "-kernel", k,
                "-device", "vfio-platform,x-no-iommu=on,sysfsdev=" + rtc);
        error("no host device at " + dir.resolve("nothing"), "-kernel", k, "-device", "vfio-platform,sysfsdev=" + dir.resolve("nothing"));
        error("give the host device with host=NAME", "-kernel", k, "-device", "vfio-platform");
        error("unknown property 'hots'; vfio-platform accepts: id, host, sysfsdev, compat, x-no-iommu, x-no-iommu-unsafe-dma, x-no-mmap", "-kernel", k,
                "-device", "vfio-platform,hots=a");
        error("-device vfio-platform: no host device 'no.such'", "-kernel", k, "-device", "vfio-platform,host=no.such");
    }

    private static void error(String expected, String... args) {
        MainHarness.Run r = MainHarness.run(args);
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains(expected), "expected <" + expected + "> in\n" + r);
        assertFalse(r.err().contains("\tat "), r.toString());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("vfio4j virt:")).count(), r.toString());
    }

    private static byte[] raw(DtNode n, String prop) {
        return ((DtValue.Bytes) n.property(prop).orElseThrow().value()).bytes();
    }
}
