package org.vfio4j.lab;

import java.time.Duration;
import java.util.List;

/**
 * {@code vfio4j lab prepare | run}: the lab from the command line.
 *
 * <p>Why: a person debugging a lab test wants the same lab host by hand, e.g.
 * {@code ./vfio4j lab run -- sh -c 'ls -l /sys/kernel/iommu_groups/*}{@code /devices'}. User
 * mistakes and lab failures print one clear message and exit 2; the command's own status is
 * passed through otherwise.
 */
public final class LabMain {
    private static final String USAGE = """
            usage: vfio4j lab prepare [--arch x86_64|aarch64]
                   vfio4j lab run [--arch x86_64|aarch64] [--device SPEC]... [--memory SIZE] [--timeout SECS] -- CMD [ARGS...]
              prepare   x86_64 (default): install qemu-system-x86, busybox-static, xz-utils; fetch the 6.12 kernel;
                        build the initramfs. aarch64: build the lab's arm64 6.12 kernel, fetch a Debian trixie
                        arm64 root (private apt state), build the initramfs
              run       boot the lab host and run CMD there as root: x86_64 in a read-only chroot of this machine's /,
                        aarch64 in the arm64 root with this checkout and ~/.m2/repository at the same paths
                --arch A         x86_64 (default) or aarch64
                --device SPEC    add a QEMU -device SPEC to the default topology (repeatable), e.g. edu,addr=0a.0
                --memory SIZE    lab host memory, e.g. 3G (default) or 2048M
                --timeout SECS   stop the lab host and fail after SECS seconds (default 600)
              CMD's output is printed, and its exit status is this command's.""";

    private LabMain() {
    }

    /** Entry point; see the usage text. */
    public static void main(String[] args) {
        try {
            System.exit(run(List.of(args)));
        } catch (LabException | IllegalArgumentException e) {
            System.err.println("vfio4j lab: " + e.getMessage());
            System.exit(2);
        }
    }

    static int run(List<String> args) {
        if (args.isEmpty() || List.of("help", "-h", "--help").contains(args.get(0))) {
            System.out.println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        return switch (args.get(0)) {
            case "prepare" -> {
                List<String> rest = args.subList(1, args.size());
                LabArch arch = LabArch.X86_64;
                if (rest.size() == 2 && rest.get(0).equals("--arch")) {
                    arch = LabArch.parse(rest.get(1));
                } else if (!rest.isEmpty()) {
                    throw new IllegalArgumentException("'lab prepare' takes only '--arch x86_64|aarch64', got " + rest);
                }
                if (arch == LabArch.AARCH64) {
                    new Arm64Prepare(System.out).prepare();
                } else {
                    new LabPrepare(LabCache.x86(), System.out).prepare();
                }
                yield 0;
            }
            case "run" -> runCommand(args.subList(1, args.size()));
            default -> throw new IllegalArgumentException("unknown lab command '" + args.get(0) + "'\n" + USAGE);
        };
    }

    private static int runCommand(List<String> args) {
        int i = 0;
        LabArch arch = LabArch.X86_64;
        if (args.size() >= 2 && args.get(0).equals("--arch")) {
            arch = LabArch.parse(args.get(1));
            i = 2;
        }
        Lab lab = Lab.of(arch).withTimeout(Duration.ofSeconds(600)).withEcho(System.out);
        while (i < args.size() && !args.get(i).equals("--")) {
            String opt = args.get(i);
            if (i + 1 >= args.size() || args.get(i + 1).equals("--")) {
                throw new IllegalArgumentException(opt.startsWith("--") ? opt + " needs a value" : "unexpected '" + opt
                        + "' before '--'; put the command after '--'\n" + USAGE);
            }
            String value = args.get(i + 1);
            lab = switch (opt) {
                case "--device" -> lab.withDevice(value);
                case "--memory" -> lab.withMemory(value);
                case "--timeout" -> lab.withTimeout(Duration.ofSeconds(seconds(value)));
                case "--arch" -> throw new IllegalArgumentException("--arch must come first: 'lab run --arch "
                        + value + " [options] -- CMD'");
                default -> throw new IllegalArgumentException("unknown option '" + opt + "'\n" + USAGE);
            };
            i += 2;
        }
        if (i >= args.size() || i + 1 == args.size()) {
            throw new IllegalArgumentException("no command: put it after '--', e.g. 'vfio4j lab run -- uname -a'");
        }
        return lab.run(args.subList(i + 1, args.size())).status();
    }

    private static long seconds(String value) {
        try {
            long s = Long.parseLong(value);
            if (s > 0) {
                return s;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException("--timeout wants a positive number of seconds, not '" + value + "'");
    }
}
