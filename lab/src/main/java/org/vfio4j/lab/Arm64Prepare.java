package org.vfio4j.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code vfio4j lab prepare --arch aarch64}: builds the lab's arm64 kernel, fetches and unpacks the
 * Debian trixie arm64 root, writes the initramfs.
 *
 * <p>Why a kernel of our own: Debian's arm64 kernel lacks VFIO_PLATFORM, VFIO_AMBA and
 * VFIO_NOIOMMU, which the platform-device work needs, so one kernel is built from Debian's
 * {@code linux-source-6.12} with {@code allnoconfig} + the lab's fragment ({@code aarch64/kernel.config},
 * everything built in). The steps are shell scripts next to this class ({@code aarch64/build-kernel.sh},
 * {@code aarch64/fetch-root.sh}); each prints {@code step: NAME} before it starts, so a failure
 * names its step, and this class turns the compile's output into a progress line every few seconds.
 * The root is fetched with a private apt configuration under the cache; the machine's apt sources
 * are never changed. Each part is cached on its own key ({@link Arm64Lab}).
 */
final class Arm64Prepare {
    /** Host packages: QEMU, the cross compiler and kernel build tools, the kernel source, apt's keyring. */
    static final List<String> HOST_PACKAGES = List.of("qemu-system-arm", "gcc-aarch64-linux-gnu", "linux-source-6.12",
            "bc", "bison", "flex", "libssl-dev", "libelf-dev", "make", "debian-archive-keyring", "xz-utils");
    /** The root's packages (their dependency closure is fetched); bash runs the ./vfio4j launcher, python3 QEMU's QMP client. */
    static final List<String> ROOT_PACKAGES = List.of("busybox-static", "bash", "libc6", "zlib1g", "libgcc-s1",
            "libstdc++6", "libfdt1", "openjdk-25-jre-headless", "util-linux", "qemu-system-arm", "python3");
    static final String SOURCE_PACKAGE = "linux-source-6.12";
    private static final Path SOURCE_TARBALL = Path.of("/usr/src/linux-source-6.12.tar.xz");
    /** Objects (CC/AS lines) a build of the fragment compiles: 1221 measured (6.12.117); only for the progress line. */
    static final int ESTIMATED_OBJECTS = 1230;
    private static final long PROGRESS_EVERY_MS = 5000;

    private final PrintStream log;

    Arm64Prepare(PrintStream log) {
        this.log = log;
    }

    /** Prepares (or checks) the aarch64 lab and returns it. */
    Arm64Lab prepare() {
        Path cache = Arm64Lab.cacheDir();
        Path lockFile = LabPrepare.compute("creating the cache directory " + cache, () -> {
            Files.createDirectories(cache);
            return cache.resolve(".lock");
        });
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                var lock = ch.lock()) {
            LabPrepare.step("checking the Debian packages " + String.join(", ", HOST_PACKAGES),
                    () -> LabPrepare.ensurePackages(HOST_PACKAGES, log));
            Path root = root(cache);
            Path initramfs = LabPrepare.compute("building the initramfs", () -> initramfs(cache, root));
            Path image = kernel(cache);
            Arm64Lab lab = new Arm64Lab(image, root, initramfs);
            LabPrepare.step("recording the lab in " + cache, lab::commit);
            log.printf("lab ready (aarch64): kernel %s, root %s (%s)%n", image, root,
                    LabPrepare.compute("reading the root's package list", () -> Files.readString(
                            root.resolve("etc/vfio4j-packages.txt")).lines().count() + " packages"));
            return lab;
        } catch (IOException e) {
            throw new LabException("lab prepare: locking " + lockFile + " failed: " + e.getMessage(), e);
        }
    }

    private Path kernel(Path cache) {
        String version = LabPrepare.compute("reading the version of " + SOURCE_PACKAGE, () -> Exec.capture(
                List.of("dpkg-query", "-W", "-f=${Version}", SOURCE_PACKAGE)).strip());
        byte[] fragment = LabResources.bytes("aarch64/kernel.config");
        byte[] script = LabResources.bytes("aarch64/build-kernel.sh");
        Path dir = cache.resolve("kernel-" + version + "-" + Sha256.of(fragment).substring(0, 12));
        Path image = dir.resolve("Image");
        if (Files.isRegularFile(image)) {
            return image;
        }
        log.printf("lab prepare: building the aarch64 kernel from %s %s into %s (about 10 CPU-minutes)%n",
                SOURCE_PACKAGE, version, dir);
        LabPrepare.step("writing the kernel build files", () -> {
            Files.createDirectories(dir);
            Files.write(dir.resolve("kernel.config"), fragment);
            Files.write(dir.resolve("build-kernel.sh"), script);
        });
        runScript("building the aarch64 kernel", dir, List.of("nice", "-n", "5", "sh", "build-kernel.sh",
                SOURCE_TARBALL.toString(), dir.resolve("kernel.config").toString(), dir.resolve("build").toString(),
                image.toString()), true);
        return image;
    }

    private Path root(Path cache) {
        byte[] script = LabResources.bytes("aarch64/fetch-root.sh");
        String key = Sha256.of((String.join(" ", ROOT_PACKAGES) + "\n" + new String(script, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8)).substring(0, 12);
        Path root = cache.resolve("root-" + key);
        if (Files.isRegularFile(root.resolve("etc/vfio4j-packages.txt"))) {
            return root;
        }
        log.printf("lab prepare: fetching Debian trixie arm64 packages (private apt state in %s)%n",
                cache.resolve("apt"));
        Path scriptFile = cache.resolve("fetch-root.sh");
        LabPrepare.step("writing " + scriptFile, () -> Files.write(scriptFile, script));
        List<String> cmd = new ArrayList<>(List.of("sh", scriptFile.toString(), cache.resolve("apt").toString(),
                root.toString()));
        cmd.addAll(ROOT_PACKAGES);
        runScript("fetching the arm64 root", cache, cmd, false);
        return root;
    }

    private static Path initramfs(Path cache, Path root) throws IOException {
        byte[] init = LabResources.initScript("aarch64/init.sh").getBytes(StandardCharsets.UTF_8);
        byte[] busybox = Files.readAllBytes(root.resolve("usr/bin/busybox"));
        Sha256 md = new Sha256();
        md.update(init);
        md.update(busybox);
        Path f = cache.resolve("initramfs-" + md.hex().substring(0, 12) + ".cpio");
        if (Files.isRegularFile(f)) {
            return f;
        }
        Path tmp = Files.createTempFile(cache, "initramfs.", ".tmp");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp));
                Newc cpio = new Newc(out)) {
            for (String d : List.of("bin", "dev", "proc", "sys", "newroot", "tmp", "run")) {
                cpio.dir(d);
            }
            cpio.charDevice("dev/console", 0600, 5, 1);
            cpio.file("bin/busybox", 0755, busybox);
            cpio.file("init", 0755, init);
        }
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return f;
    }

    /**
     * Runs a step script; its {@code step: NAME} lines name the current step, compile lines are
     * counted into a progress line every few seconds, and a failure names the step and shows the
     * script's last lines.
     */
    private void runScript(String what, Path dir, List<String> cmd, boolean compileProgress) {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        AtomicReference<String> step = new AtomicReference<>("start");
        AtomicInteger objects = new AtomicInteger();
        Deque<String> tail = new ArrayDeque<>();
        long t0 = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new LabException("lab prepare: " + what + " failed: cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        }
        Thread hook = new Thread(p::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(hook);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            long lastReport = System.currentTimeMillis();
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("step: ")) {
                    step.set(line.substring(6));
                    log.printf("lab prepare: %s: %s (%d s)%n", what, step.get(), (System.nanoTime() - t0) / 1_000_000_000);
                } else if (line.startsWith("packages: ")) {
                    log.println("lab prepare: " + line);
                }
                if (compileProgress && isCompileLine(line)) {
                    objects.incrementAndGet();
                }
                tail.addLast(line);
                if (tail.size() > 30) {
                    tail.removeFirst();
                }
                long now = System.currentTimeMillis();
                if (compileProgress && step.get().equals("compile") && now - lastReport >= PROGRESS_EVERY_MS) {
                    lastReport = now;
                    int n = objects.get();
                    log.printf("lab prepare: compiling the kernel: %d of ~%d objects (%d%%), %d s%n", n,
                            ESTIMATED_OBJECTS, Math.min(99, n * 100 / ESTIMATED_OBJECTS),
                            (System.nanoTime() - t0) / 1_000_000_000);
                }
            }
            int status = p.waitFor();
            if (status != 0) {
                throw new LabException("lab prepare: " + what + " failed at step '" + step.get() + "' (status " + status
                        + "); its last lines:\n" + String.join("\n", tail));
            }
            log.printf("lab prepare: %s: done in %d s%n", what, (System.nanoTime() - t0) / 1_000_000_000);
        } catch (IOException e) {
            throw new LabException("lab prepare: " + what + " failed at step '" + step.get() + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("lab prepare: " + what + " interrupted at step '" + step.get() + "'", e);
        } finally {
            p.destroyForcibly();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down: the hook runs anyway
            }
        }
    }

    static boolean isCompileLine(String line) {
        String l = line.stripLeading();
        return l.startsWith("CC ") || l.startsWith("AS ");
    }
}
