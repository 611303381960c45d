package org.vfio4j.virt.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The tiny test guest's initramfs: {@code guest-init.c} cross-compiled static for arm64
 * ({@code aarch64-linux-gnu-gcc}) as {@code /init}, with {@code /dev/console}, {@code /proc}, {@code /sys},
 * in a newc cpio. Built on the build host into {@code machine-virt/target/lab-guest/} (the aarch64 lab sees
 * the checkout at the same path, and has no compiler).
 */
final class GuestInitramfs {
    /** Where the build puts it (relative to the machine-virt module directory). */
    static final Path DIR = Path.of("target", "lab-guest");
    static final Path CPIO = DIR.resolve("initramfs.cpio");
    static final Path INIT = DIR.resolve("init");

    private GuestInitramfs() {
    }

    /** Compiles the init and writes the cpio; returns the cpio's path. */
    static Path build() throws IOException, InterruptedException {
        Files.createDirectories(DIR);
        Path src = DIR.resolve("guest-init.c");
        try (InputStream in = Objects.requireNonNull(GuestInitramfs.class.getResourceAsStream("guest-init.c"))) {
            Files.write(src, in.readAllBytes());
        }
        Process p = new ProcessBuilder("aarch64-linux-gnu-gcc", "-static", "-Os", "-o", INIT.toString(), src.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("aarch64-linux-gnu-gcc failed (apt-get install gcc-aarch64-linux-gnu):\n" + out);
        }
        ByteArrayOutputStream cpio = new ByteArrayOutputStream();
        int ino = 1;
        entry(cpio, ino++, "dev", 0040755, 0, 0, new byte[0]);
        entry(cpio, ino++, "dev/console", 0020600, 5, 1, new byte[0]);
        entry(cpio, ino++, "proc", 0040755, 0, 0, new byte[0]);
        entry(cpio, ino++, "sys", 0040755, 0, 0, new byte[0]);
        entry(cpio, ino++, "init", 0100755, 0, 0, Files.readAllBytes(INIT));
        entry(cpio, ino, "TRAILER!!!", 0, 0, 0, new byte[0]);
        Files.write(CPIO, cpio.toByteArray());
        return CPIO;
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
