package org.vfio4j.virt.board;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the loader needs to know about a kernel file: its size and, if it is an arm64 {@code Image},
 * the header's {@code text_offset} and {@code image_size} (Documentation/arch/arm64/booting.rst:
 * magic {@code "ARM\x64"} at byte 56, little-endian fields).
 *
 * <p>Why read the header: {@code image_size} includes the kernel's BSS, which the file does not, so
 * the initrd and device tree must be placed above it, not above the file's end.
 *
 * @param arm64Image whether the file carries the arm64 Image header; a file without it is laid out
 *                   as a raw image of its own size (good enough for {@code dumpdtb}; the KVM runner
 *                   refuses to boot it)
 */
public record KernelImage(Path path, long fileSize, boolean arm64Image, long textOffset, long imageSize) {
    private static final int MAGIC = 0x644d5241; // "ARM\x64" little-endian

    /** Reads the header of {@code path}. */
    public static KernelImage inspect(Path path) throws IOException {
        long size = Files.size(path);
        byte[] head = new byte[64];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, head.length);
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        if (n == 64 && b.getInt(56) == MAGIC) {
            long imageSize = b.getLong(16);
            return new KernelImage(path, size, true, b.getLong(8), imageSize == 0 ? size : imageSize);
        }
        return new KernelImage(path, size, false, 0, size);
    }

    /** Bytes the kernel occupies once loaded (file or header {@code image_size}, whichever is larger). */
    public long loadedSize() {
        return Math.max(fileSize, imageSize);
    }
}
