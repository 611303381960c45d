package org.vfio4j.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The build-host directories the aarch64 lab host sees at the same paths: the repository checkout
 * the lab runs from and the Maven local repository (read-only: the launcher's and Surefire's class
 * paths name jars and classes there, and jars are architecture-independent), the lab's own kernel
 * directory (read-only: its {@code Image} is a fine arm64 guest kernel for tests that run KVM guests
 * in the lab; the command gets its path in {@value #KERNEL_ENV}), and the AOT cache directory
 * (writable: AOT caches made in the lab are kept for the next run).
 *
 * <p>Why same paths: a class path or a file name computed on the build host then works unchanged
 * in the lab host's arm64 JVM. The arm64 root is read-only in the lab, so the mount points are
 * created in the cached root on the build host before QEMU starts (empty directories; harmless
 * for other checkouts sharing the root).
 */
final class Arm64Shares {
    /** The environment variable naming the lab kernel's {@code Image} for commands run in the aarch64 lab. */
    static final String KERNEL_ENV = "VFIO4J_LAB_KERNEL";
    /**
     * The environment variable naming the writable AOT directory for commands run in the aarch64 lab: the
     * launcher keeps the VMM's AOT cache there ({@code ./vfio4j virt}), since the checkout is read-only in the lab.
     */
    static final String AOT_ENV = "VFIO4J_AOT_DIR";
    /**
     * The environment variable naming a lab-local directory (tmpfs) the launcher maps the VMM's AOT cache from:
     * the writable AOT share is mounted without a page cache, so a cache mapped from it is read over 9p again on
     * every JVM start (under TCG: seconds for ~20 MB); a copy in tmpfs is read once per lab boot.
     */
    static final String AOT_LOCAL_ENV = "VFIO4J_AOT_LOCAL";
    /** The lab-local directory of {@link #AOT_LOCAL_ENV} (the lab host's {@code /tmp} is tmpfs). */
    static final String AOT_LOCAL_DIR = "/tmp/vfio4j-aot";

    private Arm64Shares() {
    }

    /**
     * The shares for a run from this JVM: repo (if found), Maven repository (if present), the lab
     * kernel's directory, AOT directory.
     */
    static List<Arm64QemuCommand.Share> shares(Arm64Lab lab) {
        List<Arm64QemuCommand.Share> s = new ArrayList<>();
        Path repo = repoRoot();
        if (repo != null) {
            s.add(new Arm64QemuCommand.Share("vfio4j-repo", repo, false));
        }
        Path m2 = mavenRepository();
        if (Files.isDirectory(m2) && (repo == null || !m2.startsWith(repo))) {
            s.add(new Arm64QemuCommand.Share("vfio4j-m2", m2, false));
        }
        Path kernelDir = lab.kernel().toAbsolutePath().getParent();
        if (kernelDir != null) {
            s.add(new Arm64QemuCommand.Share("vfio4j-kernel", kernelDir, false));
        }
        Path aot = Arm64Lab.aotDir();
        try {
            Files.createDirectories(aot);
        } catch (IOException e) {
            throw new LabException("cannot create the AOT cache directory " + aot + ": " + e.getMessage(), e);
        }
        s.add(new Arm64QemuCommand.Share("vfio4j-aot", aot, true));
        for (Arm64QemuCommand.Share share : s) {
            if (share.path().toString().matches(".*\\s.*")) {
                throw new LabException("the aarch64 lab cannot share " + share.path() + " (a path with white space)");
            }
            Path mountPoint = lab.root().resolve(share.path().toString().substring(1));
            try {
                Files.createDirectories(mountPoint);
            } catch (IOException e) {
                throw new LabException("cannot create the mount point " + mountPoint + " in the arm64 root: "
                        + e.getMessage(), e);
            }
        }
        return s;
    }

    /** Writes {@code RUN/mounts} ("TAG ro|rw PATH" lines) that the lab host's init mounts. */
    static void writeMounts(Path runDir, List<Arm64QemuCommand.Share> shares) {
        StringBuilder sb = new StringBuilder();
        for (Arm64QemuCommand.Share s : shares) {
            sb.append(s.tag()).append(s.writable() ? " rw " : " ro ").append(s.path()).append('\n');
        }
        try {
            Files.writeString(runDir.resolve("mounts"), sb, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LabException("writing " + runDir.resolve("mounts") + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * The checkout: {@code -Dvfio4j.root} (set by the launcher), else the nearest directory at or
     * above the working directory with both {@code vfio4j} and {@code mvnw} (Surefire runs in a module).
     */
    static @Nullable Path repoRoot() {
        String prop = System.getProperty("vfio4j.root");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        for (Path d = Path.of(System.getProperty("user.dir", "/")).toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("vfio4j")) && Files.isRegularFile(d.resolve("mvnw"))) {
                return d;
            }
        }
        return null;
    }

    /** {@code -Dmaven.repo.local}, else {@code ~/.m2/repository}. */
    static Path mavenRepository() {
        String prop = System.getProperty("maven.repo.local");
        return prop != null && !prop.isBlank() ? Path.of(prop).toAbsolutePath()
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }
}
