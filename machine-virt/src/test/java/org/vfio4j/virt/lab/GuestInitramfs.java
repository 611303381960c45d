package org.vfio4j.virt.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The tiny test guest's initramfs: {@code guest-init.sh} as {@code /init}, run by a static busybox at
 * {@code /bin/busybox}, with {@code /dev/console}, {@code /proc}, {@code /sys}, in a newc cpio.
 *
 * <p>Why busybox and a script: the aarch64 lab's arm64 root has a static busybox ({@code /usr/bin/busybox}) and
 * no compiler, so {@link Arm64KvmBootLabTest} builds the guest inside the lab, into its {@code /tmp}, right
 * before booting it — nothing depends on a file built earlier on the build host.
 */
final class GuestInitramfs {
    /** The arm64 root's static busybox, as the aarch64 lab host sees it. */
    static final Path LAB_BUSYBOX = Path.of("/usr/bin/busybox");

    private GuestInitramfs() {
    }

    /** The init script (a resource next to this class). */
    static byte[] init() throws IOException {
        return init("guest-init.sh");
    }

    /** The init script {@code resource} (next to this class). */
    static byte[] init(String resource) throws IOException {
        try (InputStream in = Objects.requireNonNull(GuestInitramfs.class.getResourceAsStream(resource), resource)) {
            return in.readAllBytes();
        }
    }

    /** Writes the cpio with {@code busybox} (a static arm64 busybox) to {@code cpio}; returns {@code cpio}. */
    static Path build(Path busybox, Path cpio) throws IOException {
        return build(busybox, cpio, "guest-init.sh");
    }

    /** The same with the init script {@code initResource} as {@code /init}. */
    static Path build(Path busybox, Path cpio, String initResource) throws IOException {
        return build(busybox, cpio, initResource, Map.of());
    }

    /** The same plus executables: {@code bin/NAME} for each entry of {@code binaries}. */
    static Path build(Path busybox, Path cpio, String initResource, Map<String, byte[]> binaries) throws IOException {
        if (!Files.isRegularFile(busybox)) {
            throw new IOException("no busybox at " + busybox + " for the test guest (the aarch64 lab's root has "
                    + LAB_BUSYBOX + " from busybox-static)");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int ino = 1;
        entry(out, ino++, "dev", 0040755, 0, 0, new byte[0]);
        entry(out, ino++, "dev/console", 0020600, 5, 1, new byte[0]);
        entry(out, ino++, "proc", 0040755, 0, 0, new byte[0]);
        entry(out, ino++, "sys", 0040755, 0, 0, new byte[0]);
        entry(out, ino++, "bin", 0040755, 0, 0, new byte[0]);
        entry(out, ino++, "bin/busybox", 0100755, 0, 0, Files.readAllBytes(busybox));
        for (Map.Entry<String, byte[]> bin : new java.util.TreeMap<>(binaries).entrySet()) {
            entry(out, ino++, "bin/" + bin.getKey(), 0100755, 0, 0, bin.getValue());
        }
        entry(out, ino++, "init", 0100755, 0, 0, init(initResource));
        entry(out, ino, "TRAILER!!!", 0, 0, 0, new byte[0]);
        Path dir = cpio.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Files.write(cpio, out.toByteArray());
        return cpio;
    }

    /** One newc entry: 110-byte ASCII header, name, data, each padded to 4 bytes. */
    private static void entry(ByteArrayOutputStream out, int ino, String name, int mode, int rdevMajor, int rdevMinor,
            byte[] data) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        StringBuilder h = new StringBuilder("070701");
        for (long v : List.of((long) ino, (long) mode, 0L, 0L, 1L, 0L, (long) data.length, 0L, 0L, (long) rdevMajor,
                (long) rdevMinor, (long) n.length, 0L)) {
            h.append(String.format("%08x", v));
        }
        out.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(n);
        pad(out);
        out.writeBytes(data);
        pad(out);
    }

    private static void pad(ByteArrayOutputStream out) {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}
