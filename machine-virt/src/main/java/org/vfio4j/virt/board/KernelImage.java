package org.vfio4j.virt.board;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import org.eclipse.jdt.annotation.Nullable;

/**
 * What {@code -kernel} names, as QEMU's virt machine reads it: an ELF (its loadable segments at their physical
 * addresses, entered at {@code e_entry} like any program), else an arm64 {@code Image}, plain or compressed
 * (gzip, as distributions ship {@code vmlinuz}, or an EFI zboot {@code vmlinuz.efi} with a gzip payload),
 * else a raw binary. Images and raw binaries are booted as Linux (Documentation/arch/arm64/booting.rst): an
 * Image at a 2 MiB aligned base + its header's {@code text_offset}, a raw binary at RAM + 0x80000 (QEMU's
 * default offset), the DTB's address in X0.
 *
 * <p>Why read the header: {@code image_size} includes the kernel's BSS, which the file does not, so the
 * initrd and device tree must be placed above it, not above the file's end. Why decompress here: the loader
 * copies {@link #payload()} into guest RAM; a plain file is read straight into RAM without it.
 *
 * @param format     how it is booted
 * @param compressed what it was unpacked from ("gzip", "EFI zboot"), or null for a file used as it is
 * @param payload    the unpacked bytes of a compressed file; null when the file is loaded as it is
 * @param segments   an ELF's loadable segments (empty otherwise)
 * @param entry      an ELF's entry point (0 otherwise: Linux is entered at its load address)
 */
public record KernelImage(Path path, Format format, @Nullable String compressed, long fileSize, long textOffset,
        long imageSize, byte @Nullable [] payload, List<Segment> segments, long entry) {

    /** The file is not a kernel this machine can boot, or is a damaged one: the user's to fix (exit 2). */
    public static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        FormatException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }

        FormatException(String message) {
            super(message);
        }
    }

    /** How the kernel is booted. */
    public enum Format {
        /** An arm64 Image (header magic "ARM\x64" at byte 56): Linux's boot protocol. */
        IMAGE,
        /** Neither ELF nor Image: loaded at RAM + 0x80000 and entered there with the DTB in X0, as QEMU does. */
        RAW,
        /** An AArch64 ELF: segments at their physical addresses, PC = e_entry, no Linux protocol. */
        ELF
    }

    /** One ELF {@code PT_LOAD} segment: {@code fileSize} bytes from {@code offset}, zeroed up to {@code memSize}. */
    public record Segment(long address, long offset, long fileSize, long memSize) {
    }

    private static final int IMAGE_MAGIC = 0x644d5241; // "ARM\x64" little-endian
    /** Where QEMU loads a raw binary (and an Image whose header predates text_offset), from the base of RAM. */
    public static final long RAW_OFFSET = 0x80000;
    /** The most a compressed kernel may unpack to (what QEMU allows, 256 MiB). */
    public static final long MAX_UNPACKED = 256L << 20;
    private static final int EM_AARCH64 = 183;
    private static final int PT_LOAD = 1;

    /** Reads {@code path} and decides how it boots; a compressed file is unpacked here. */
    public static KernelImage inspect(Path path) throws IOException {
        long size = Files.size(path);
        byte[] head = new byte[64];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, head.length);
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        if (n >= 20 && b.getInt(0) == 0x464c457f) { // "\x7fELF"
            return elf(path, size);
        }
        if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return unpacked(path, size, "gzip", gunzip(Files.newInputStream(path)));
        }
        if (n >= 32 && head[0] == 'M' && head[1] == 'Z' && b.getInt(4) == 0x676d697a) { // "zimg": EFI zboot
            return unpacked(path, size, "EFI zboot", zboot(path, b, size));
        }
        return of(path, null, size, ByteBuffer.wrap(head, 0, n).order(ByteOrder.LITTLE_ENDIAN), size, null);
    }

    private static KernelImage unpacked(Path path, long fileSize, String how, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, Math.min(bytes.length, 64)).order(ByteOrder.LITTLE_ENDIAN);
        return of(path, how, fileSize, b, bytes.length, bytes);
    }

    private static KernelImage of(Path path, @Nullable String how, long fileSize, ByteBuffer head, long length,
            byte @Nullable [] payload) {
        if (head.limit() >= 64 && head.getInt(56) == IMAGE_MAGIC) {
            long imageSize = head.getLong(16);
            // image_size 0: a kernel older than 3.17, whose text_offset QEMU takes as 0x80000
            long textOffset = imageSize == 0 ? RAW_OFFSET : head.getLong(8);
            return new KernelImage(path, Format.IMAGE, how, fileSize, textOffset, imageSize == 0 ? length : imageSize,
                    payload, List.of(), 0);
        }
        return new KernelImage(path, Format.RAW, how, fileSize, RAW_OFFSET, length, payload, List.of(), 0);
    }

    private static byte[] gunzip(InputStream raw) throws IOException {
        try (InputStream in = new GZIPInputStream(raw, 1 << 16)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) {
                out.write(buf, 0, r);
                if (out.size() > MAX_UNPACKED) {
                    throw new FormatException("it unpacks to more than " + (MAX_UNPACKED >> 20) + " MiB; give the "
                            + "uncompressed Image");
                }
            }
            return out.toByteArray();
        } catch (ZipException | java.io.EOFException e) {
            throw new FormatException("it looks compressed but does not unpack (" + e.getMessage() + "); give the "
                    + "uncompressed Image", e);
        }
    }

    /** An EFI zboot image: a PE stub whose header names the compressed payload's offset, size and method. */
    private static byte[] zboot(Path path, ByteBuffer head, long size) throws IOException {
        long offset = Integer.toUnsignedLong(head.getInt(8));
        long length = Integer.toUnsignedLong(head.getInt(12));
        String method = new String(head.array(), 24, 8, java.nio.charset.StandardCharsets.US_ASCII).replace("\0", "");
        if (!method.equals("gzip")) {
            throw new FormatException("it is an EFI zboot image compressed with '" + method + "'; only gzip payloads "
                    + "are unpacked (as QEMU does): rebuild with CONFIG_KERNEL_GZIP or give the uncompressed Image");
        }
        if (offset + length > size) {
            throw new FormatException("its EFI zboot header puts the payload past the end of the file");
        }
        if (length > MAX_UNPACKED) {
            throw new FormatException("its EFI zboot payload is larger than " + (MAX_UNPACKED >> 20) + " MiB");
        }
        byte[] packed = new byte[(int) length];
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer dst = ByteBuffer.wrap(packed);
            while (dst.hasRemaining()) {
                if (ch.read(dst, offset + dst.position()) < 0) {
                    throw new IOException("it shrank while it was read");
                }
            }
        }
        return gunzip(new java.io.ByteArrayInputStream(packed));
    }

    private static KernelImage elf(Path path, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer h = read(ch, 0, 64);
            if (h.get(4) != 2 || h.get(5) != 1) {
                throw new FormatException("it is an ELF, but not a 64-bit little-endian one; give an AArch64 ELF");
            }
            if (h.getShort(18) != EM_AARCH64) {
                throw new FormatException("it is an ELF for machine " + h.getShort(18) + ", not AArch64 (183); give an "
                        + "AArch64 kernel or program");
            }
            long phoff = h.getLong(32);
            int phentsize = Short.toUnsignedInt(h.getShort(54));
            int phnum = Short.toUnsignedInt(h.getShort(56));
            List<Segment> segs = new ArrayList<>();
            for (int i = 0; i < phnum; i++) {
                ByteBuffer p = read(ch, phoff + (long) i * phentsize, 56);
                if (p.getInt(0) != PT_LOAD || p.getLong(40) == 0) {
                    continue;
                }
                Segment s = new Segment(p.getLong(24), p.getLong(8), p.getLong(32), p.getLong(40));
                if (s.fileSize() > s.memSize() || s.offset() + s.fileSize() > size || s.offset() < 0) {
                    throw new FormatException("ELF segment " + i + " is inconsistent (file size above memory size, "
                            + "or past the end of the file)");
                }
                segs.add(s);
            }
            if (segs.isEmpty()) {
                throw new FormatException("it is an ELF without a loadable segment");
            }
            long low = segs.stream().mapToLong(Segment::address).min().orElseThrow();
            long high = segs.stream().mapToLong(s -> s.address() + s.memSize()).max().orElseThrow();
            return new KernelImage(path, Format.ELF, null, size, 0, high - low, null, List.copyOf(segs), h.getLong(24));
        }
    }

    private static ByteBuffer read(FileChannel ch, long at, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new FormatException("the ELF ends inside its headers (at byte " + (at + b.position()) + ")");
            }
        }
        return b.flip();
    }

    /** An ELF's lowest segment address (0 for Linux, whose place comes from {@link #textOffset()}). */
    public long lowestAddress() {
        return segments.stream().mapToLong(Segment::address).min().orElse(0);
    }

    /** Whether it carries the arm64 Image header. */
    public boolean arm64Image() {
        return format == Format.IMAGE;
    }

    /** Whether it is booted as Linux (an Image or a raw binary), with the DTB in X0 and an initrd allowed. */
    public boolean linux() {
        return format != Format.ELF;
    }

    /**
     * Bytes the kernel occupies once loaded: for Linux the larger of the bytes loaded and the header's
     * {@code image_size}; for an ELF its span from the lowest to the highest segment end.
     */
    public long loadedSize() {
        byte[] p = payload;
        return format == Format.ELF ? imageSize : Math.max(p != null ? p.length : fileSize, imageSize);
    }

    /** One line for the terminal: what was found. */
    public String describe() {
        return switch (format) {
            case IMAGE -> "arm64 Image" + (compressed != null ? " (" + compressed + ")" : "");
            case RAW -> "raw binary" + (compressed != null ? " (" + compressed + ")" : "") + ", no arm64 Image header: "
                    + "entered at RAM + 0x80000";
            case ELF -> "AArch64 ELF, " + segments.size() + " segment(s), entry 0x" + Long.toHexString(entry);
        };
    }

    @Override
    public String toString() {
        return path + ": " + describe();
    }
}
