package org.vfio4j.virt.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootLayoutTest {

    /** An arm64 Image header: text_offset 0, image_size 40M (BSS beyond the 1M file). */
    private static Path image(Path dir, long imageSize) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(8, 0).putLong(16, imageSize).putInt(56, 0x644d5241);
        Path p = dir.resolve("Image");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void imageHeaderSizeIncludingBssPushesTheInitrdUp(@TempDir Path dir) throws Exception {
        KernelImage k = KernelImage.inspect(image(dir, 140L << 20));
        assertTrue(k.arm64Image());
        assertEquals(140L << 20, k.loadedSize());
        BootLayout l = BootLayout.plan(new MmioRange(MemoryMap.RAM_BASE, 512L << 20), k, 4096);
        assertEquals(new MmioRange(0x4000_0000L, 140L << 20), l.kernel());
        MmioRange initrd = java.util.Objects.requireNonNull(l.initrd());
        assertEquals(0x4000_0000L + (140L << 20), initrd.base(), "above image_size, not at +128M");
        assertEquals(0, l.dtb().base() % (2 << 20));
        assertTrue(l.dtb().base() >= initrd.end());
    }

    @Test
    void rawFilesAreLaidOutByTheirSizeAndQemusInitrdRuleApplies(@TempDir Path dir) throws Exception {
        Path raw = dir.resolve("raw");
        Files.write(raw, new byte[5000]);
        KernelImage k = KernelImage.inspect(raw);
        assertFalse(k.arm64Image());
        BootLayout l = BootLayout.plan(new MmioRange(MemoryMap.RAM_BASE, 128L << 20), k, 10);
        MmioRange initrd = l.initrd();
        assertEquals(0x4000_0000L + (64L << 20), initrd == null ? -1 : initrd.base(), "min(RAM/2, 128M)");
        assertEquals(0x4000_0000L + (66L << 20), l.dtb().base());
        assertThrows(IllegalArgumentException.class, () -> BootLayout.plan(new MmioRange(MemoryMap.RAM_BASE, 1L << 20), k, 0));
    }

    @Test
    void sizesParseLikeQemu() {
        assertEquals(512L << 20, Sizes.parse("512", Sizes.MiB));
        assertEquals(512L << 20, Sizes.parse("512M", Sizes.MiB));
        assertEquals(3L << 29, Sizes.parse("1.5G", Sizes.MiB));
        assertEquals(0x1000, Sizes.parse("0x1000", Sizes.MiB));
        assertEquals(64, Sizes.parse("64b", Sizes.MiB));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("1.1B", 1));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("-1", 1));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("99999999999T", 1));
        assertEquals("512M", Sizes.human(512L << 20));
        assertEquals("1536K", Sizes.human(1536L << 10));
    }

    @Test
    void sameAsComparesEveryPlacement(@TempDir Path dir) throws Exception {
        KernelImage k = KernelImage.inspect(image(dir, 40L << 20));
        MmioRange ram = new MmioRange(MemoryMap.RAM_BASE, 512L << 20);
        BootLayout l = BootLayout.plan(ram, k, 4096);
        assertTrue(l.sameAs(BootLayout.plan(ram, k, 4096)));
        assertEquals(l, BootLayout.plan(ram, k, 4096), "agrees with the record's equals");
        assertFalse(l.sameAs(BootLayout.plan(ram, k, 8192)), "initrd size");
        assertFalse(l.sameAs(BootLayout.plan(ram, k, 0)), "no initrd");
        assertFalse(BootLayout.plan(ram, k, 0).sameAs(l), "no initrd, the other way");
        assertTrue(BootLayout.plan(ram, k, 0).sameAs(BootLayout.plan(ram, k, 0)));
        assertFalse(l.sameAs(BootLayout.plan(ram, KernelImage.inspect(image(dir, 200L << 20)), 4096)), "kernel and DTB");
        assertFalse(l.sameAs(new BootLayout(l.kernel(), l.initrd(), l.dtb(), KernelImage.Format.RAW, l.entry())), "Image header");
    }
}
