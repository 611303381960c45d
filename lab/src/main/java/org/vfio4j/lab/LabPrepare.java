package org.vfio4j.lab;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code vfio4j lab prepare}: installs the lab's Debian packages, fetches the kernel and builds
 * the initramfs, so that {@code lab run} never touches the network.
 *
 * <p>Why this order and these rules: the kernel is the one the {@link #METAPACKAGE} metapackage
 * depends on at the moment of the first preparation, downloaded with {@code apt-get download} at
 * that exact version and recorded in the cache ({@link LabCache}); later runs reuse it, so a mirror
 * that moves on to a newer 6.12 build breaks neither a fresh machine (it resolves anew) nor an
 * existing cache (it never resolves again). Every step is named, and a failure says which step
 * failed and what to do; a second run only checks and says the lab is ready.
 */
final class LabPrepare {
    static final String METAPACKAGE = "linux-image-6.12-amd64";
    /** Debian packages the lab needs at run time (qemu) and preparation time (busybox, xz). */
    static final List<String> PACKAGES = List.of("qemu-system-x86", "busybox-static", "xz-utils");
    private static final Path BUSYBOX = Path.of("/bin/busybox");

    private final LabCache cache;
    private final PrintStream log;

    LabPrepare(LabCache cache, PrintStream log) {
        this.cache = cache;
        this.log = log;
    }

    /** Prepares the lab (or checks that it is prepared) and returns the kernel {@code lab run} boots. */
    LabCache.Kernel prepare() {
        Path lockFile = compute("creating the cache directory " + cache.root(), () -> {
            Files.createDirectories(cache.root());
            return cache.root().resolve(".lock");
        });
        // Two preparations at once (two builds on a fresh machine) would share one download directory.
        try (var channel = java.nio.channels.FileChannel.open(lockFile, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); var lock = channel.lock()) {
            return prepareLocked();
        } catch (IOException e) {
            throw new LabException("lab prepare: locking " + lockFile + " failed: " + e.getMessage(), e);
        }
    }

    private LabCache.Kernel prepareLocked() {
        step("checking the Debian packages " + String.join(", ", PACKAGES), this::ensurePackages);
        LabCache.Kernel k = cache.current();
        if (k == null) {
            k = fetchKernel();
        }
        LabCache.Kernel kernel = k;
        initramfs(kernel, log);
        log.printf("lab ready: kernel %s (Debian %s %s) in %s%n", kernel.release(), kernel.packageName(),
                kernel.packageVersion(), kernel.dir());
        return kernel;
    }

    /**
     * The initramfs for this code's init script and this machine's busybox, built first if missing,
     * so {@code lab run} after a code change never boots a stale init. No apt, no network.
     */
    static Path initramfs(LabCache.Kernel kernel, PrintStream log) {
        String stamp = compute("hashing the initramfs inputs", () -> initramfsStamp(kernel));
        Path file = kernel.initramfs(stamp);
        if (!Files.isRegularFile(file)) {
            step("building the initramfs", () -> buildInitramfs(kernel, file, log));
        }
        return file;
    }

    interface Step<T> {
        T run() throws IOException;
    }

    interface Action {
        void run() throws IOException;
    }

    static void step(String name, Action body) {
        compute(name, () -> {
            body.run();
            return Boolean.TRUE;
        });
    }

    static <T> T compute(String name, Step<T> body) {
        try {
            return body.run();
        } catch (LabException e) {
            throw new LabException("lab prepare: " + name + " failed: " + e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            throw new LabException("lab prepare: " + name + " failed: " + e, e);
        }
    }

    private void ensurePackages() {
        ensurePackages(PACKAGES, log);
    }

    /** Installs those of {@code packages} that are missing (as root), or says how to. */
    static void ensurePackages(List<String> packages, PrintStream log) {
        List<String> missing = missingPackages(packages);
        if (missing.isEmpty()) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new LabException("missing Debian packages " + missing + "; run 'apt-get install -y "
                    + String.join(" ", missing) + "' as root, then './vfio4j lab prepare' again");
        }
        log.println("lab prepare: installing " + String.join(" ", missing));
        List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-q",
                "-o", "DPkg::Lock::Timeout=600"));
        install.addAll(missing);
        Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
        try {
            Exec.inherit(install, null, env);
        } catch (LabException first) {
            log.println("lab prepare: apt-get install failed; refreshing the package lists and retrying");
            Exec.inherit(List.of("apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=600"), null, env);
            Exec.inherit(install, null, env);
        }
        List<String> still = missingPackages(packages);
        if (!still.isEmpty()) {
            throw new LabException("apt-get install finished but " + still + " are still not installed");
        }
    }

    private static List<String> missingPackages(List<String> packages) {
        List<String> missing = new ArrayList<>();
        for (String p : packages) {
            try {
                Process q = new ProcessBuilder("dpkg-query", "-W", "-f=${db:Status-Abbrev}", p)
                        .redirectErrorStream(true).start();
                String s = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (q.waitFor() != 0 || !s.startsWith("ii")) {
                    missing.add(p);
                }
            } catch (IOException e) {
                throw new LabException("cannot run dpkg-query; the lab needs a Debian (bookworm) host", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted while checking Debian packages", e);
            }
        }
        return missing;
    }

    /**
     * Fetches the kernel; when that fails as root, refreshes the package lists once and retries, since
     * stale lists on a fresh machine may name a build the mirror has dropped (debian-security keeps
     * only the newest).
     */
    private LabCache.Kernel fetchKernel() {
        try {
            return fetchKernelOnce();
        } catch (LabException e) {
            if (!"root".equals(System.getProperty("user.name"))) {
                throw e;
            }
            log.println(e.getMessage());
            log.println("lab prepare: refreshing the package lists (apt-get update) and trying again");
            step("refreshing the package lists with apt-get update", () -> Exec.inherit(
                    List.of("apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=600"), null, Map.of()));
            return fetchKernelOnce();
        }
    }

    private LabCache.Kernel fetchKernelOnce() {
        String pkg = compute("resolving " + METAPACKAGE + " with apt-cache", this::resolveKernelPackage);
        String version = compute("reading the version of " + pkg, () -> field(
                Exec.capture(List.of("apt-cache", "show", "--no-all-versions", pkg)), "Version"));
        String release = pkg.substring("linux-image-".length());
        Path dir = cache.releaseDir(release);
        LabCache.Kernel k = new LabCache.Kernel(dir, pkg, version, release);
        log.printf("lab prepare: kernel %s %s (the one %s depends on now)%n", pkg, version, METAPACKAGE);
        Path work = dir.resolve("work");
        step("creating the cache directory " + dir, () -> {
            deleteTree(dir);
            Files.createDirectories(work);
        });
        Path deb = compute("downloading " + pkg + "=" + version + " with apt-get download", () -> download(pkg, version, work));
        Path tree = work.resolve("tree");
        step("unpacking " + deb.getFileName() + " with dpkg-deb", () -> {
            log.printf("lab prepare: unpacking %s (%d MB) ...%n", deb.getFileName(), Files.size(deb) >> 20);
            Exec.captureBytes(List.of("dpkg-deb", "-x", deb.toString(), tree.toString()), null);
            Files.copy(tree.resolve("boot/vmlinuz-" + release), k.vmlinuz());
            Files.copy(tree.resolve("boot/config-" + release), dir.resolve("config"));
        });
        step("extracting the lab's kernel modules", () -> extractModules(k, tree.resolve("lib/modules/" + release)));
        step("recording the kernel in " + cache.root(), () -> {
            deleteTree(work);
            cache.commit(k);
        });
        return k;
    }

    private String resolveKernelPackage() throws IOException {
        String deps;
        try {
            deps = Exec.capture(List.of("apt-cache", "depends", METAPACKAGE));
        } catch (LabException e) {
            if (!"root".equals(System.getProperty("user.name"))) {
                throw new LabException(METAPACKAGE + " is unknown to apt; run 'apt-get update' as root", e);
            }
            log.println("lab prepare: " + METAPACKAGE + " unknown to apt; running apt-get update");
            Exec.inherit(List.of("apt-get", "update", "-q"), null, Map.of());
            deps = Exec.capture(List.of("apt-cache", "depends", METAPACKAGE));
        }
        for (String line : deps.split("\n")) {
            String l = line.strip();
            if (l.startsWith("Depends: linux-image-")) {
                return l.substring("Depends: ".length()).strip();
            }
        }
        throw new LabException(METAPACKAGE + " depends on no linux-image package:\n" + deps);
    }

    private static String field(String control, String name) {
        for (String line : control.split("\n")) {
            if (line.startsWith(name + ": ")) {
                return line.substring(name.length() + 2).strip();
            }
        }
        throw new LabException("apt-cache show printed no " + name + " field");
    }

    private Path download(String pkg, String version, Path work) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("apt-get", "download"));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("-o", "APT::Sandbox::User=root")); // the cache dir is root's, not _apt's
        }
        cmd.add(pkg + "=" + version);
        log.printf("lab prepare: downloading %s ...%n", pkg);
        Exec.inherit(cmd, work, Map.of());
        try (var files = Files.list(work)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".deb")).findFirst()
                    .orElseThrow(() -> new LabException("apt-get download left no .deb in " + work));
        }
    }

    private void extractModules(LabCache.Kernel k, Path modRoot) throws IOException {
        Map<String, String> index = KernelModules.index(modRoot.resolve("modules.order"));
        Map<String, byte[]> closure = KernelModules.closure(KernelModules.WANTED, index, rel -> {
            Path xz = modRoot.resolve(rel + ".xz");
            if (Files.isRegularFile(xz)) {
                return Exec.captureBytes(List.of("xz", "-dc", xz.toString()), null);
            }
            return Files.readAllBytes(modRoot.resolve(rel));
        });
        Files.createDirectories(k.modulesDir());
        for (var e : closure.entrySet()) {
            log.printf("lab prepare:   module %-18s %5d KiB%n", e.getKey(), e.getValue().length >> 10);
            Files.write(k.modulesDir().resolve(e.getKey() + ".ko"), e.getValue());
        }
        Files.writeString(k.modulesDir().resolve("load-order"), String.join("\n", closure.keySet()) + "\n");
    }

    private static String initScript(LabCache.Kernel k) throws IOException {
        String order = Files.readString(k.modulesDir().resolve("load-order")).strip().replace('\n', ' ');
        return LabResources.initScript("init.sh").replace("@MODULES@", order);
    }

    private static String initramfsStamp(LabCache.Kernel k) throws IOException {
        return new Sha256().update(initScript(k).getBytes(StandardCharsets.UTF_8))
                .update(Files.readAllBytes(BUSYBOX)).hex();
    }

    private static void buildInitramfs(LabCache.Kernel k, Path target, PrintStream log) throws IOException {
        Path tmp = Files.createTempFile(k.dir(), "initramfs.cpio.", ".tmp"); // unique: builds may race
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp));
                Newc cpio = new Newc(out)) {
            for (String d : List.of("bin", "dev", "proc", "sys", "lib", "lib/modules", "newroot", "tmp", "run")) {
                cpio.dir(d);
            }
            cpio.charDevice("dev/console", 0600, 5, 1);
            cpio.file("bin/busybox", 0755, Files.readAllBytes(BUSYBOX));
            cpio.file("init", 0755, initScript(k).getBytes(StandardCharsets.UTF_8));
            for (String m : Files.readString(k.modulesDir().resolve("load-order")).strip().split("\n")) {
                cpio.file("lib/modules/" + m + ".ko", 0644, Files.readAllBytes(k.modulesDir().resolve(m + ".ko")));
            }
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        log.printf("lab prepare: initramfs %s (%d KiB)%n", target, Files.size(target) >> 10);
    }

    /** Deletes {@code dir} and everything in it; tolerates files vanishing concurrently (teardown races). */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> all;
        try (var walk = Files.walk(dir)) {
            all = walk.sorted(java.util.Comparator.reverseOrder()).toList();
        } catch (UncheckedIOException | java.nio.file.NoSuchFileException e) {
            if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(dir); // something vanished mid-walk; walk again
            }
            return;
        }
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
    }
}
