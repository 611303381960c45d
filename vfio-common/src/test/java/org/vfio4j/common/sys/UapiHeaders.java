package org.vfio4j.common.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Where a C compiler finds the kernel uAPI headers that define the iommufd and VFIO device cdev interface
 * (Linux 6.6 and later): the installed ones when they are new enough, else the two headers taken once out of
 * the Linux source package the aarch64 lab builds its kernel from and kept under the user's cache.
 *
 * <p>Why not only {@code /usr/include}: Debian bookworm's {@code linux-libc-dev} is 6.1, which has neither
 * {@code linux/iommufd.h} nor the cdev ioctls; the lab's kernel is 6.12 and so is its source package.
 */
final class UapiHeaders {
    private static final Path SYSTEM = Path.of("/usr/include/linux");
    private static final Path SOURCES = Path.of("/usr/src");
    private static final List<String> HEADERS = List.of("iommufd.h", "vfio.h");

    private UapiHeaders() {
    }

    /**
     * The gcc options that make {@code <linux/iommufd.h>} and {@code <linux/vfio.h>} the cdev-era headers: none
     * when {@code /usr/include} has them, else {@code -I} a cache directory ({@code __user} is what the kernel's
     * headers_install strips from the source headers).
     */
    static List<String> iommufdOptions() throws IOException, InterruptedException {
        if (Files.exists(SYSTEM.resolve("iommufd.h"))
                && Files.readString(SYSTEM.resolve("vfio.h")).contains("VFIO_DEVICE_BIND_IOMMUFD")) {
            return List.of();
        }
        Path tarball = newestSource().orElseThrow(() -> new AssertionError("no uAPI header with iommufd: "
                + "/usr/include/linux is older than Linux 6.6 and no /usr/src/linux-source-*.tar.xz is installed; "
                + "install one (apt-get install linux-source-6.12, which ./vfio4j lab prepare --arch aarch64 "
                + "also installs) or a linux-libc-dev of 6.6 or later"));
        String name = tarball.getFileName().toString().replace(".tar.xz", "");
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "vfio4j", "uapi",
                name + "-" + Files.size(tarball));
        if (!Files.exists(dir.resolve("linux").resolve(HEADERS.getLast()))) {
            extract(tarball, name, dir);
        }
        return List.of("-D__user=", "-I" + dir);
    }

    private static Optional<Path> newestSource() throws IOException {
        if (!Files.isDirectory(SOURCES)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(SOURCES)) {
            return s.filter(p -> p.getFileName().toString().matches("linux-source-[0-9.]+\\.tar\\.xz"))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        }
    }

    private static void extract(Path tarball, String name, Path dir) throws IOException, InterruptedException {
        Path tmp = Files.createTempDirectory("vfio4j-uapi");
        try {
            List<String> cmd = new java.util.ArrayList<>(List.of("tar", "-xJf", tarball.toString(), "-C", tmp.toString()));
            HEADERS.forEach(h -> cmd.add(name + "/include/uapi/linux/" + h));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "tar timed out on " + tarball);
            assertEquals(0, p.exitValue(), "taking the uAPI headers out of " + tarball + " failed:\n" + out);
            Path linux = dir.resolve("linux");
            Files.createDirectories(linux);
            for (String h : HEADERS) {
                // each header lands whole or not at all: a later run checks the last one's presence only
                Files.move(tmp.resolve(name + "/include/uapi/linux/" + h), linux.resolve(h),
                        StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }
}
