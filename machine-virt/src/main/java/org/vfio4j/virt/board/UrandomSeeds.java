package org.vfio4j.virt.board;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.random.RandomGenerator;

/**
 * The boot entropy ({@code rng-seed}, {@code kaslr-seed}) read straight from the kernel's {@code /dev/urandom},
 * as QEMU takes it from {@code getrandom(2)}.
 *
 * <p>Why not {@code SecureRandom}: on Linux its default source is this same device, but reaching it first loads
 * the JDK's security-provider framework ({@code java.security}, provider lists, service lookup) — hundreds of
 * classes on every VMM start, for 40 bytes, which under an emulated lab JVM costs seconds of the boot.
 */
public final class UrandomSeeds implements RandomGenerator {
    private static final Path SOURCE = Path.of("/dev/urandom");

    @Override
    public long nextLong() {
        byte[] b = new byte[Long.BYTES];
        try (InputStream in = Files.newInputStream(SOURCE)) {
            if (in.readNBytes(b, 0, b.length) != b.length) {
                throw new IOException("short read");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read boot entropy from " + SOURCE + ": " + e.getMessage(), e);
        }
        long v = 0;
        for (byte x : b) {
            v = v << 8 | (x & 0xff);
        }
        return v;
    }
}
