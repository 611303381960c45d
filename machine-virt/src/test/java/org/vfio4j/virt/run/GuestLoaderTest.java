package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.virt.board.BootLayout;
import org.vfio4j.virt.board.KernelImage;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.board.MmioRange;

/** Loading into guest RAM per the arm64 boot protocol, with a synthesized Image header (no real kernel needed). */
class GuestLoaderTest {
    private static final MmioRange RAM = new MmioRange(MemoryMap.RAM_BASE, 64L << 20);

    /** An arm64 Image: branch at 0, text_offset, image_size (BSS beyond the file), magic "ARM\x64" at 56. */
    static Path image(Path dir, long textOffset, long imageSize, int fileSize) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(fileSize).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x14000010); // b #0x40, as a real Image's code0
        b.putLong(8, textOffset).putLong(16, imageSize).putInt(56, 0x644d5241);
        for (int i = 64; i < fileSize; i++) {
            b.put(i, (byte) (i * 7));
        }
        Path p = dir.resolve("Image");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void kernelInitrdAndDtbLandWhereTheProtocolSaysAndX0PointsAtTheDtb(@TempDir Path dir) throws Exception {
        Path k = image(dir, 0x80000, 6L << 20, 3 << 20);
        Path initrd = dir.resolve("initrd");
        byte[] initrdBytes = new byte[12345];
        java.util.Arrays.fill(initrdBytes, (byte) 0x5a);
        Files.write(initrd, initrdBytes);
        byte[] dtb = {(byte) 0xd0, 0x0d, (byte) 0xfe, (byte) 0xed, 1, 2, 3, 4};
        KernelImage ki = KernelImage.inspect(k);
        BootLayout layout = BootLayout.plan(RAM, ki, initrdBytes.length);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ram = a.allocate(RAM.size(), 4096);
            GuestLoader.loadFiles(ram, RAM, layout, ki.textOffset(), k, initrd);
            GuestLoader.Entry e = GuestLoader.loadDtb(ram, RAM, layout, dtb);
            assertEquals(RAM.base() + 0x80000, e.pc(), "2 MiB aligned base + text_offset");
            assertEquals(0x14000010, ram.get(ValueLayout.JAVA_INT_UNALIGNED, 0x80000), "Image's first word at PC");
            byte[] file = Files.readAllBytes(k);
            byte[] loaded = ram.asSlice(0x80000, file.length).toArray(ValueLayout.JAVA_BYTE);
            assertArrayEquals(file, loaded);
            assertEquals(layout.dtb().base(), e.x0());
            assertEquals(0, e.x0() % 8);
            assertTrue(e.x0() >= RAM.base() + 0x80000 + (6L << 20), "DTB above image_size (BSS), not the file's end");
            assertEquals(e.x0() / (2 << 20), (e.x0() + dtb.length - 1) / (2 << 20), "DTB inside one 2 MiB block");
            assertArrayEquals(dtb, ram.asSlice(e.x0() - RAM.base(), dtb.length).toArray(ValueLayout.JAVA_BYTE));
            MmioRange ir = Objects.requireNonNull(layout.initrd());
            assertTrue(ir.base() >= e.pc() + (6L << 20) - 0x80000);
            assertArrayEquals(initrdBytes, ram.asSlice(ir.base() - RAM.base(), initrdBytes.length).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void aFileWithoutTheImageHeaderIsRefusedWithAdvice(@TempDir Path dir) throws Exception {
        Path raw = dir.resolve("vmlinux");
        Files.write(raw, new byte[4096]);
        KernelImage ki = KernelImage.inspect(raw);
        BootLayout layout = BootLayout.plan(RAM, ki, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ram = a.allocate(RAM.size(), 4096);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GuestLoader.loadFiles(ram, RAM, layout, 0, raw, null));
            assertTrue(e.getMessage().contains("no arm64 Image header") && e.getMessage().contains("arch/arm64/boot/Image"),
                    e.getMessage());
        }
    }

    @Test
    void aDtbOverTwoMegabytesIsRefused(@TempDir Path dir) throws Exception {
        Path k = image(dir, 0, 1 << 20, 1 << 16);
        KernelImage ki = KernelImage.inspect(k);
        BootLayout layout = BootLayout.plan(RAM, ki, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ram = a.allocate(RAM.size(), 4096);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GuestLoader.loadDtb(ram, RAM, layout, new byte[(2 << 20) + 8]));
            assertTrue(e.getMessage().contains("at most 2 MiB"), e.getMessage());
        }
    }

    @Test
    void theRealLabKernelLaysOutIfPresent() throws Exception {
        Path real = Path.of(System.getProperty("user.home"), ".cache/vfio4j-scout/Image");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(real),
                "no ~/.cache/vfio4j-scout/Image here; the synthesized-header tests above cover the same rules");
        KernelImage ki = KernelImage.inspect(real);
        assertTrue(ki.arm64Image());
        assertTrue(ki.imageSize() >= ki.fileSize(), "image_size covers the BSS");
        BootLayout layout = BootLayout.plan(new MmioRange(MemoryMap.RAM_BASE, 512L << 20), ki, 1 << 20);
        assertEquals(MemoryMap.RAM_BASE + ki.textOffset(), layout.kernel().base());
        assertTrue(layout.dtb().base() >= layout.kernel().base() + ki.imageSize());
    }
}
