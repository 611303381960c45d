package org.vfio4j.common.sys;

import java.util.List;

/**
 * System call numbers of the two architectures vfio4j runs on: arm64 (the kernel's generic table) and x86_64.
 *
 * <p>Why numbers and not libc's named wrappers: {@link Native} makes every system call through libc's
 * {@code syscall(2)}, so one FFM downcall stub serves them all (see {@link Native}). On any other architecture
 * every number is -1, which the kernel answers with ENOSYS: each call then fails with a clear errno instead of
 * calling the wrong system call. {@code SysnoHeaderTest} checks both tables against the kernel's headers.
 */
final class Sysno {
    /** The calls, in the order of the tables below (the kernel's names, without {@code __NR_}). */
    static final List<String> NAMES = List.of("ioctl", "openat", "close", "read", "write", "pread64", "pwrite64",
            "ppoll", "mmap", "munmap", "eventfd2", "rt_sigaction", "rt_sigprocmask", "getpid", "gettid", "tgkill",
            "setpriority", "geteuid", "memfd_create", "ftruncate", "unlinkat", "rt_sigtimedwait", "fcntl");
    private static final int[] ARM64 = {29, 56, 57, 63, 64, 67, 68, 73, 222, 215, 19, 134, 135, 172, 178, 131, 140,
        175, 279, 46, 35, 137, 25};
    private static final int[] X86_64 = {16, 257, 3, 0, 1, 17, 18, 271, 9, 11, 290, 13, 14, 39, 186, 234, 141, 107,
        319, 77, 263, 128, 72};

    private static final int[] HOST = table(System.getProperty("os.arch", ""));
    static final int IOCTL = HOST[0], OPENAT = HOST[1], CLOSE = HOST[2], READ = HOST[3], WRITE = HOST[4],
            PREAD64 = HOST[5], PWRITE64 = HOST[6], PPOLL = HOST[7], MMAP = HOST[8], MUNMAP = HOST[9],
            EVENTFD2 = HOST[10], RT_SIGACTION = HOST[11], RT_SIGPROCMASK = HOST[12], GETPID = HOST[13],
            GETTID = HOST[14], TGKILL = HOST[15], SETPRIORITY = HOST[16], GETEUID = HOST[17], MEMFD_CREATE = HOST[18],
            FTRUNCATE = HOST[19], UNLINKAT = HOST[20], RT_SIGTIMEDWAIT = HOST[21], FCNTL = HOST[22];

    private Sysno() {
    }

    /** The numbers for {@code os.arch} value {@code arch}, in {@link #NAMES}' order; all -1 for an unknown one. */
    static int[] table(String arch) {
        return switch (arch) {
            case "aarch64" -> ARM64.clone();
            case "amd64", "x86_64" -> X86_64.clone();
            default -> {
                int[] none = new int[NAMES.size()];
                java.util.Arrays.fill(none, -1);
                yield none;
            }
        };
    }
}
