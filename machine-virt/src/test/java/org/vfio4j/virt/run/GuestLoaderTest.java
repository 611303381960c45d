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
            GuestLoader.loadFiles(ram, RAM, layout, ki, initrd);
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
    void aFileWithoutTheImageHeaderBootsAsARawBinaryAtQemusOffset(@TempDir Path dir) throws Exception {
        Path raw = dir.resolve("payload.bin");
        byte[] code = new byte[4096];
        for (int i = 0; i < code.length; i++) {
            code[i] = (byte) (i * 13 + 1);
        }
        Files.write(raw, code);
        KernelImage ki = KernelImage.inspect(raw);
        assertEquals(KernelImage.Format.RAW, ki.format());
        BootLayout layout = BootLayout.plan(RAM, ki, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ram = a.allocate(RAM.size(), 4096);
            GuestLoader.loadFiles(ram, RAM, layout, ki, null);
            GuestLoader.Entry e = GuestLoader.loadDtb(ram, RAM, layout, new byte[64]);
            assertEquals(RAM.base() + 0x80000, e.pc(), "QEMU's virt loads and enters a raw binary at RAM + 0x80000");
            assertArrayEquals(code, ram.asSlice(0x80000, code.length).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(layout.dtb().base(), e.x0(), "booted as Linux: the DTB in X0");
        }
    }

    @Test
    void gzipAndEfiZbootImagesLoadTheSameBytesAsThePlainImage(@TempDir Path dir) throws Exception {
        Path plain = image(dir, 0x80000, 6L << 20, 3 << 20);
        byte[] bytes = Files.readAllBytes(plain);
        byte[] gz = gzip(bytes);
        Path vmlinuz = Files.write(dir.resolve("vmlinuz"), gz);
        // an EFI zboot image: "MZ", "zimg", payload offset and size, "gzip", then the payload
        ByteBuffer z = ByteBuffer.allocate(512 + gz.length).order(ByteOrder.LITTLE_ENDIAN);
        z.put(0, (byte) 'M').put(1, (byte) 'Z').putInt(4, 0x676d697a).putInt(8, 512).putInt(12, gz.length);
        z.put(24, "gzip".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        z.put(512, gz);
        Path zboot = Files.write(dir.resolve("vmlinuz.efi"), z.array());
        for (Path p : new Path[] {vmlinuz, zboot}) {
            KernelImage ki = KernelImage.inspect(p);
            assertEquals(KernelImage.Format.IMAGE, ki.format(), p.toString());
            assertEquals(0x80000, ki.textOffset());
            BootLayout layout = BootLayout.plan(RAM, ki, 0);
            assertTrue(layout.sameAs(BootLayout.plan(RAM, KernelImage.inspect(plain), 0)), "laid out as the plain Image");
            try (Arena a = Arena.ofConfined()) {
                MemorySegment ram = a.allocate(RAM.size(), 4096);
                GuestLoader.loadFiles(ram, RAM, layout, ki, null);
                assertArrayEquals(bytes, ram.asSlice(0x80000, bytes.length).toArray(ValueLayout.JAVA_BYTE), p.toString());
            }
        }
        Path broken = Files.write(dir.resolve("broken.gz"), java.util.Arrays.copyOf(gz, 100));
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> KernelImage.inspect(broken));
        assertTrue(e.getMessage().contains("does not unpack") || e.getMessage().contains("Unexpected end"), e.getMessage());
    }

    /** A two-segment AArch64 ELF: code at {@code base}, data with a zeroed tail 64 KiB above, entry base + 8. */
    static Path elf(Path dir, long base) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(0x3000).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464c457f).put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2).putShort(18, (short) 183).putInt(20, 1).putLong(24, base + 8).putLong(32, 64);
        b.putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) 2);
        long[][] ph = {{0x1000, base, 0x800, 0x800}, {0x2000, base + 0x10000, 0x100, 0x4000}};
        for (int i = 0; i < 2; i++) {
            int p = 64 + 56 * i;
            b.putInt(p, 1).putInt(p + 4, 5).putLong(p + 8, ph[i][0]).putLong(p + 16, ph[i][1]).putLong(p + 24, ph[i][1])
                    .putLong(p + 32, ph[i][2]).putLong(p + 40, ph[i][3]);
        }
        for (int i = 0x1000; i < 0x1800; i++) {
            b.put(i, (byte) 0xc3);
        }
        for (int i = 0x2000; i < 0x2100; i++) {
            b.put(i, (byte) 0xd4);
        }
        return Files.write(dir.resolve("payload.elf"), b.array());
    }

    @Test
    void anElfLoadsItsSegmentsAndIsEnteredAtItsEntryWithTheDtbAtTheBaseOfRam(@TempDir Path dir) throws Exception {
        Path p = elf(dir, RAM.base() + 0x80_0000);
        KernelImage ki = KernelImage.inspect(p);
        assertEquals(KernelImage.Format.ELF, ki.format());
        BootLayout layout = BootLayout.plan(RAM, ki, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ram = a.allocate(RAM.size(), 4096);
            ram.fill((byte) 0x77); // what a previous boot left: the segments' tails must be zeroed
            GuestLoader.loadFiles(ram, RAM, layout, ki, null);
            byte[] dtb = {(byte) 0xd0, 0x0d, (byte) 0xfe, (byte) 0xed};
            GuestLoader.Entry e = GuestLoader.loadDtb(ram, RAM, layout, dtb);
            assertEquals(RAM.base() + 0x80_0008, e.pc(), "e_entry");
            assertEquals(0, e.x0(), "not Linux: QEMU starts an ELF with only the PC set");
            assertEquals(RAM.base(), layout.dtb().base(), "room below the program: the DTB at the base of RAM, as QEMU");
            assertArrayEquals(dtb, ram.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE));
            assertEquals((byte) 0xc3, ram.get(ValueLayout.JAVA_BYTE, 0x80_0000 + 0x7ff));
            assertEquals((byte) 0x77, ram.get(ValueLayout.JAVA_BYTE, 0x80_0000 + 0x800), "between segments: untouched");
            assertEquals((byte) 0xd4, ram.get(ValueLayout.JAVA_BYTE, 0x81_0000 + 0xff));
            assertEquals(0, ram.get(ValueLayout.JAVA_BYTE, 0x81_0000 + 0x100), "the tail of the segment (its BSS) is zeroed");
            assertEquals(0, ram.get(ValueLayout.JAVA_BYTE, 0x81_0000 + 0x3fff));
        }
    }

    @Test
    void anElfAtTheBaseOfRamGetsTheDtbAboveItAndNoInitrd(@TempDir Path dir) throws Exception {
        KernelImage ki = KernelImage.inspect(elf(dir, RAM.base()));
        BootLayout layout = BootLayout.plan(RAM, ki, 0);
        assertEquals(RAM.base() + (2 << 20), layout.dtb().base(), "the first 2 MiB block above the program");
        IllegalArgumentException initrd = assertThrows(IllegalArgumentException.class, () -> BootLayout.plan(RAM, ki, 4096));
        assertTrue(initrd.getMessage().contains("-initrd is for Linux kernels"), initrd.getMessage());
        KernelImage outside = KernelImage.inspect(elf(dir, 0x1000_0000L));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BootLayout.plan(RAM, outside, 0));
        assertTrue(e.getMessage().contains("outside guest RAM"), e.getMessage());
    }

    private static byte[] gzip(byte[] data) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(data);
        }
        return out.toByteArray();
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
