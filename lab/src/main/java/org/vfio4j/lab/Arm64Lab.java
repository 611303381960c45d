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
 * The prepared aarch64 lab: the kernel Image, the arm64 root and the initramfs that {@code lab run
 * --arch aarch64} boots, as recorded in the cache by {@link Arm64Prepare}.
 *
 * <p>Why a record of three paths: each part is cached on its own key (kernel: source package
 * version + config hash; root: package list + fetch script; initramfs: init script + busybox), so a
 * change to one never rebuilds the others, and {@code current.properties} (written last, atomically)
 * names the combination that is ready. Layout under {@code ~/.cache/vfio4j/aarch64} (or
 * {@code $VFIO4J_CACHE/aarch64}): {@code kernel-<version>-<hash>/Image}, {@code root-<hash>/},
 * {@code initramfs-<hash>.cpio}, {@code apt/} (the private apt state), {@code aot/} (AOT caches
 * the lab writes), {@code current.properties}.
 *
 * @param kernel    the arm64 {@code Image}
 * @param root      the unpacked Debian trixie arm64 root, shared read-only as the lab host's {@code /}
 * @param initramfs the newc initramfs with arm64 busybox and the lab's init
 */
record Arm64Lab(Path kernel, Path root, Path initramfs) {
    /** Where the arm64 JRE lives inside the root (Debian's openjdk-25-jre-headless). */
    static final String JAVA_HOME = "/usr/lib/jvm/java-25-openjdk-arm64";
    private static final String CURRENT = "current.properties";

    /** The cache directory: {@code $VFIO4J_CACHE/aarch64} or {@code ~/.cache/vfio4j/aarch64}. */
    static Path cacheDir() {
        return LabCache.base().resolve(LabArch.AARCH64.id());
    }

    /** Writable directory the lab host sees at the same path, for AOT caches made in the lab. */
    static Path aotDir() {
        return cacheDir().resolve("aot");
    }

    /** The prepared lab, or null when {@code lab prepare --arch aarch64} has not completed. */
    static @Nullable Arm64Lab current() {
        Path f = cacheDir().resolve(CURRENT);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            return null;
        }
        String k = p.getProperty("kernel");
        String root = p.getProperty("root");
        String i = p.getProperty("initramfs");
        if (k == null || root == null || i == null) {
            return null;
        }
        Arm64Lab lab = new Arm64Lab(Path.of(k), Path.of(root), Path.of(i));
        return Files.isRegularFile(lab.kernel) && Files.isDirectory(lab.root) && Files.isRegularFile(lab.initramfs)
                ? lab : null;
    }

    /** Records this combination as the one {@code lab run --arch aarch64} boots. */
    void commit() throws IOException {
        Properties p = new Properties();
        p.setProperty("kernel", kernel.toString());
        p.setProperty("root", root.toString());
        p.setProperty("initramfs", initramfs.toString());
        Path f = cacheDir().resolve(CURRENT);
        Path tmp = f.resolveSibling(CURRENT + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "vfio4j aarch64 lab");
        }
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
