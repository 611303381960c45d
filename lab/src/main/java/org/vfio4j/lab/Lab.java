package org.vfio4j.lab;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The x86 VFIO lab: boots a lab host under QEMU, runs one command in it as root, tears it down.
 *
 * <p>Why it exists: this machine has no IOMMU and no usable /dev/kvm, so every test of real kernel
 * VFIO runs inside a Linux guest with an emulated IOMMU and emulated PCI devices. The lab host sees
 * the build host's {@code /} read-only at the same paths, so the JDK and the project's class path
 * work there unchanged.
 *
 * {@snippet :
 * LabResult r = Lab.x86().run(List.of("sh", "-c", "ls /dev/vfio"));
 * assert r.status() == 0 && r.output().contains("vfio");
 * }
 *
 * <p>Instances are immutable; {@code with*} return a changed copy. Each {@link #run} boots a fresh
 * lab host (about 5 s) and, whatever happens, leaves no QEMU process and no temporary file behind.
 */
public final class Lab {
    /** Environment variable the lab host's init sets for the command; its value is the lab's architecture. */
    public static final String ENV = "VFIO4J_LAB";
    /** Run directories are {@code java.io.tmpdir/vfio4j-lab-<pid>-*}, so leftovers can be traced to a JVM. */
    static final String TEMP_PREFIX = "vfio4j-lab-";
    private static final Pattern MEMORY = Pattern.compile("[1-9][0-9]*[MG]?");
    private static final long NVME_IMAGE_BYTES = 64L << 20;

    private final LabArch arch;
    private final List<String> extraDevices;
    private final String memory;
    private final Duration timeout;
    private final @Nullable OutputStream echo;

    private Lab(LabArch arch, List<String> extraDevices, String memory, Duration timeout, @Nullable OutputStream echo) {
        this.arch = arch;
        this.extraDevices = List.copyOf(extraDevices);
        this.memory = memory;
        this.timeout = timeout;
        this.echo = echo;
    }

    /** The x86_64 lab host with the default topology ({@link LabDevice}), 3 GiB and a 10-minute timeout. */
    public static Lab x86() {
        return new Lab(LabArch.X86_64, List.of(), "3G", Duration.ofMinutes(10), null);
    }

    /**
     * The aarch64 lab host (virt, EL2, GICv3, SMMUv3) with the default topology, 3 GiB and a 10-minute
     * timeout. Its root is a Debian trixie arm64 root; the repository checkout this runs from, the
     * Maven repository and the AOT cache directory are visible at the same paths ({@link Arm64Shares}).
     */
    public static Lab aarch64() {
        return new Lab(LabArch.AARCH64, List.of(), "3G", Duration.ofMinutes(10), null);
    }

    /** The lab host of {@code arch}. */
    public static Lab of(LabArch arch) {
        return arch == LabArch.AARCH64 ? aarch64() : x86();
    }

    /** The architecture of this lab host. */
    public LabArch arch() {
        return arch;
    }

    /** True inside a lab host (the init sets {@value #ENV}). */
    public static boolean inLab() {
        return System.getenv(ENV) != null;
    }

    /** Adds one QEMU {@code -device} to the default topology, e.g. {@code "edu,addr=0a.0"}. */
    public Lab withDevice(String spec) {
        if (spec.isBlank() || spec.startsWith("-")) {
            throw new IllegalArgumentException("--device wants a QEMU device spec such as 'edu,addr=0a.0', not '"
                    + spec + "'");
        }
        List<String> d = new ArrayList<>(extraDevices);
        d.add(spec);
        return new Lab(arch, d, memory, timeout, echo);
    }

    /** Lab host memory in QEMU's {@code -m} syntax: a number with an optional M or G suffix. */
    public Lab withMemory(String size) {
        if (!MEMORY.matcher(size).matches()) {
            throw new IllegalArgumentException("--memory wants a size such as 3G or 2048M, not '" + size + "'");
        }
        return new Lab(arch, extraDevices, size, timeout, echo);
    }

    /** How long a run may take from QEMU start to power-off before the lab is torn down. */
    public Lab withTimeout(Duration t) {
        if (t.isNegative() || t.isZero()) {
            throw new IllegalArgumentException("--timeout wants a positive number of seconds, not " + t.toSeconds());
        }
        return new Lab(arch, extraDevices, memory, t, echo);
    }

    /** Also copies the command's output to {@code out} as it arrives (the CLI passes System.out). */
    public Lab withEcho(@Nullable OutputStream out) {
        return new Lab(arch, extraDevices, memory, timeout, out);
    }

    /** The run timeout. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Boots a lab host, runs {@code command} there as root (in the caller's working directory when the
     * lab host can see it, else in /) and returns its status and output.
     *
     * @throws LabException if the lab is not prepared, QEMU or the lab host fails, or the run times out
     */
    public LabResult run(List<String> command) {
        return run(command, dir -> { });
    }

    /**
     * As {@link #run(List)}, and hands {@code harvest} the run directory before it is deleted, also
     * when the run failed (so partial results survive a crash). The command sees that directory,
     * writable, at {@value QemuCommand#GUEST_RUN_DIR}.
     */
    LabResult run(List<String> command, Consumer<Path> harvest) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command to run in the lab");
        }
        Path cacheDir;
        Function<Path, List<String>> qemu;
        Map<String, String> env = Map.of();
        if (arch == LabArch.AARCH64) {
            Arm64Lab lab = Arm64Lab.current();
            if (lab == null) {
                throw new LabException("the aarch64 lab is not prepared (nothing in " + Arm64Lab.cacheDir()
                        + "); run './vfio4j lab prepare --arch aarch64' first");
            }
            List<Arm64QemuCommand.Share> shares = Arm64Shares.shares(lab);
            env = Map.of(Arm64Shares.KERNEL_ENV, lab.kernel().toAbsolutePath().toString(),
                    Arm64Shares.AOT_ENV, Arm64Lab.aotDir().toAbsolutePath().toString(),
                    Arm64Shares.AOT_LOCAL_ENV, Arm64Shares.AOT_LOCAL_DIR);
            cacheDir = Arm64Lab.cacheDir();
            qemu = runDir -> {
                Arm64Shares.writeMounts(runDir, shares);
                return Arm64QemuCommand.build(lab, runDir, memory, extraDevices, shares, false);
            };
        } else {
            LabCache.Kernel kernel = LabCache.x86().current();
            if (kernel == null) {
                throw new LabException("the lab is not prepared (nothing in " + LabCache.x86().root()
                        + "); run './vfio4j lab prepare' first");
            }
            Path initramfs = LabPrepare.initramfs(kernel, System.err);
            cacheDir = LabCache.x86().root();
            qemu = runDir -> {
                writeKeep(runDir, command);
                return QemuCommand.build(kernel, initramfs, runDir, memory, extraDevices);
            };
        }
        removeOrphanedRunDirs();
        try {
            return runOnce(qemu, command, env, harvest);
        } catch (LabException.BootFailure e) {
            Path log = cacheDir.resolve("last-boot-failure.log");
            try {
                Files.writeString(log, e.getMessage());
            } catch (IOException ignored) {
                // only a diagnostic
            }
            System.err.println("vfio4j lab: the lab host failed to boot (console in " + log + "); retrying once");
            return runOnce(qemu, command, env, harvest);
        }
    }

    private LabResult runOnce(Function<Path, List<String>> qemu, List<String> command, Map<String, String> env,
            Consumer<Path> harvest) {
        Path runDir;
        try {
            runDir = Files.createTempDirectory(TEMP_PREFIX + ProcessHandle.current().pid() + "-");
        } catch (IOException e) {
            throw new LabException("cannot create the lab's run directory in " + System.getProperty("java.io.tmpdir")
                    + ": " + e.getMessage(), e);
        }
        boolean ran = false;
        try {
            writeRunFiles(runDir, command, env);
            ran = true;
            LabResult r = new LabProcess(qemu.apply(runDir), runDir, timeout, echo)
                    .run(shortName(command));
            ran = false;
            harvest.accept(runDir);
            return r;
        } catch (IOException e) {
            throw new LabException("preparing the lab's run directory " + runDir + " failed: " + e.getMessage(), e);
        } finally {
            if (ran) {
                try {
                    harvest.accept(runDir); // the run failed: keep what it left
                } catch (RuntimeException e) {
                    // the run's own failure is what the caller needs to see
                }
            }
            try {
                LabPrepare.deleteTree(runDir);
            } catch (IOException e) {
                System.err.println("vfio4j lab: could not delete " + runDir + ": " + e.getMessage());
            }
        }
    }

    /** Deletes run directories of JVMs that no longer exist (killed with SIGKILL: nothing else leaves them). */
    private static void removeOrphanedRunDirs() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (var dirs = Files.newDirectoryStream(tmp, TEMP_PREFIX + "*")) {
            for (Path d : dirs) {
                String[] parts = d.getFileName().toString().substring(TEMP_PREFIX.length()).split("-", 2);
                try {
                    long pid = Long.parseLong(parts[0]);
                    if (ProcessHandle.of(pid).isEmpty()) {
                        LabPrepare.deleteTree(d);
                    }
                } catch (NumberFormatException | IOException e) {
                    // not ours or not removable: leave it
                }
            }
        } catch (IOException e) {
            // an unreadable tmpdir fails below, with a clearer message
        }
    }

    /**
     * Writes {@code RUN/keep} for the x86 init: the build host's directories under /tmp and /run that the
     * command needs (the aarch64 lab mounts its shares instead, {@link Arm64Shares}).
     */
    private static void writeKeep(Path runDir, List<String> command) {
        List<String> wanted = new ArrayList<>(command);
        wanted.add(System.getProperty("user.dir", "/"));
        wanted.add(System.getProperty("vfio4j.root", "/"));
        wanted.add(System.getProperty("java.class.path", ""));
        try {
            Files.write(runDir.resolve("keep"), HiddenPaths.toKeep(wanted, runDir), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LabException("writing " + runDir.resolve("keep") + " failed: " + e.getMessage(), e);
        }
    }

    private static void writeRunFiles(Path runDir, List<String> command, Map<String, String> env) throws IOException {
        String cwd = System.getProperty("user.dir", "/");
        // /tmp and /run are kept visible where the command needs them (HiddenPaths); the rest is the lab's own.
        boolean visible = !cwd.startsWith("/proc") && !cwd.startsWith("/sys") && !cwd.startsWith("/dev");
        StringBuilder sh = new StringBuilder("# written by org.vfio4j.lab.Lab\n");
        sh.append("cd ").append(visible ? quote(cwd) : "/").append(" 2>/dev/null || cd /\n");
        for (Map.Entry<String, String> e : env.entrySet()) {
            sh.append("export ").append(e.getKey()).append('=').append(quote(e.getValue())).append('\n');
        }
        sh.append("exec");
        for (String arg : command) {
            sh.append(' ').append(quote(arg));
        }
        sh.append('\n');
        Files.writeString(runDir.resolve("cmd.sh"), sh, StandardCharsets.UTF_8);
        try (RandomAccessFile img = new RandomAccessFile(runDir.resolve("nvme.img").toFile(), "rw")) {
            img.setLength(NVME_IMAGE_BYTES);
        }
    }

    /** The command as messages name it: its words, cut short when long (class paths are). */
    static String shortName(List<String> command) {
        String s = String.join(" ", command);
        return s.length() <= 160 ? s : s.substring(0, 100) + " ... " + s.substring(s.length() - 55);
    }

    /** Single-quotes {@code s} for POSIX sh. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
