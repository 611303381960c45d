package org.vfio4j.lab;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

import org.eclipse.jdt.annotation.Nullable;

/**
 * Where {@code lab prepare} keeps the x86 lab kernel, its modules and the initramfs.
 *
 * <p>Why outside the repository: the kernel package is ~100 MB and shared by every clone and
 * worktree on the machine. Layout under {@code ~/.cache/vfio4j/x86_64} (or {@code $VFIO4J_CACHE}):
 * {@code <release>/vmlinuz}, {@code <release>/modules/*.ko}, {@code <release>/initramfs-<hash>.cpio} (one per init script version),
 * {@code <release>/kernel.properties} (exact Debian package name and version, written last, so a
 * directory without it is an interrupted preparation) and {@code current}, the release that
 * {@code lab run} boots. Once a release is ready it is kept: a mirror that moves on to a newer
 * 6.12 build changes nothing for an existing cache.
 */
final class LabCache {
    static final String ARCH = "x86_64";
    private static final String KERNEL_PROPERTIES = "kernel.properties";

    private final Path root;

    private LabCache(Path root) {
        this.root = root;
    }

    /** The cache of this user: {@code $VFIO4J_CACHE/x86_64} or {@code ~/.cache/vfio4j/x86_64}. */
    static LabCache x86() {
        return new LabCache(base().resolve(ARCH));
    }

    /** {@code $VFIO4J_CACHE} or {@code ~/.cache/vfio4j}: every architecture's cache is a directory in it. */
    static Path base() {
        String env = System.getenv("VFIO4J_CACHE");
        return env != null && !env.isBlank()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "vfio4j");
    }

    Path root() {
        return root;
    }

    Path releaseDir(String release) {
        return root.resolve(release);
    }

    /** The prepared kernel {@code lab run} boots, or null when {@code lab prepare} has not completed. */
    @Nullable Kernel current() {
        try {
            Path pointer = root.resolve("current");
            if (!Files.isRegularFile(pointer)) {
                return null;
            }
            String release = Files.readString(pointer, StandardCharsets.UTF_8).strip();
            return kernel(release);
        } catch (IOException e) {
            return null;
        }
    }

    /** The kernel of {@code release} if its preparation completed, else null. */
    @Nullable Kernel kernel(String release) throws IOException {
        Path dir = releaseDir(release);
        Path props = dir.resolve(KERNEL_PROPERTIES);
        if (release.isEmpty() || !Files.isRegularFile(props)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(props, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        Kernel k = new Kernel(dir, p.getProperty("package", "?"), p.getProperty("version", "?"), release);
        return Files.isRegularFile(k.vmlinuz()) && Files.isDirectory(k.modulesDir()) ? k : null;
    }

    /** Records {@code k} as complete and makes it the one {@code lab run} boots. */
    void commit(Kernel k) throws IOException {
        Properties p = new Properties();
        p.setProperty("package", k.packageName());
        p.setProperty("version", k.packageVersion());
        p.setProperty("release", k.release());
        writeAtomically(k.dir().resolve(KERNEL_PROPERTIES), w -> p.store(w, "vfio4j lab kernel"));
        writeAtomically(root.resolve("current"), w -> w.write(k.release() + "\n"));
    }

    private interface WriterBody {
        void write(Writer w) throws IOException;
    }

    private static void writeAtomically(Path target, WriterBody body) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            body.write(w);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * One prepared kernel: the Debian package it came from and the files the lab boots.
     *
     * @param dir            the release's cache directory
     * @param packageName    e.g. {@code linux-image-6.12.117+deb12-amd64}
     * @param packageVersion e.g. {@code 6.12.117-1~deb12u1}
     * @param release        the kernel release, e.g. {@code 6.12.117+deb12-amd64}
     */
    record Kernel(Path dir, String packageName, String packageVersion, String release) {
        Path vmlinuz() {
            return dir.resolve("vmlinuz");
        }

        Path modulesDir() {
            return dir.resolve("modules");
        }

        /**
         * The initramfs built from inputs hashing to {@code stamp}. Named by the hash so that checkouts
         * with different init scripts sharing this cache each boot their own, never each other's.
         */
        Path initramfs(String stamp) {
            return dir.resolve("initramfs-" + stamp.substring(0, 12) + ".cpio");
        }
    }
}
