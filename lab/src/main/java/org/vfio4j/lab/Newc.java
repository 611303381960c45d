package org.vfio4j.lab;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format, the one the Linux kernel unpacks as an initramfs.
 *
 * <p>Why our own: the format is a 110-byte ASCII header per entry padded to 4 bytes, and writing it
 * here avoids depending on the cpio package and on the file modes of whatever a host directory
 * happens to contain. The archive is left uncompressed: under TCG, decompressing in the lab host
 * costs more boot time than reading a few extra megabytes.
 */
final class Newc implements AutoCloseable {
    private final OutputStream out;
    private long written;
    private int ino = 1;
    private boolean closed;

    Newc(OutputStream out) {
        this.out = out;
    }

    /** A directory (mode 0755). */
    void dir(String path) throws IOException {
        entry(path, 0040755, new byte[0]);
    }

    /** A regular file with permission bits {@code perm} (e.g. 0755). */
    void file(String path, int perm, byte[] data) throws IOException {
        entry(path, 0100000 | perm, data);
    }

    /** A character device node, e.g. {@code /dev/console} (5, 1), so init has a console before devtmpfs. */
    void charDevice(String path, int perm, int major, int minor) throws IOException {
        entry(path, 0020000 | perm, new byte[0], major, minor);
    }

    /** A symbolic link {@code path} pointing at {@code target}. */
    void symlink(String path, String target) throws IOException {
        entry(path, 0120777, target.getBytes(StandardCharsets.UTF_8));
    }

    private void entry(String path, int mode, byte[] data) throws IOException {
        entry(path, mode, data, 0, 0);
    }

    private void entry(String path, int mode, byte[] data, int rdevMajor, int rdevMinor) throws IOException {
        if (closed) {
            throw new IllegalStateException("cpio archive already closed");
        }
        byte[] name = (path + "\0").getBytes(StandardCharsets.UTF_8);
        String header = String.format("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
                ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdevMajor, rdevMinor, name.length, 0);
        write(header.getBytes(StandardCharsets.US_ASCII));
        write(name);
        pad();
        write(data);
        pad();
    }

    private void write(byte[] b) throws IOException {
        out.write(b);
        written += b.length;
    }

    private void pad() throws IOException {
        while (written % 4 != 0) {
            out.write(0);
            written++;
        }
    }

    /** Writes the trailer entry; the underlying stream stays open. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            entry("TRAILER!!!", 0, new byte[0]);
            closed = true;
            out.flush();
        }
    }
}
