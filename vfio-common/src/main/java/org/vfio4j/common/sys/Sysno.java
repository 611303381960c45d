package org.vfio4j.common.sys;

/**
 * System call numbers of the two architectures vfio4j runs on: arm64 (the kernel's generic table) and x86_64.
 *
 * <p>Why numbers and not libc's named wrappers: {@link Native} makes every system call through libc's
 * {@code syscall(2)}, so one FFM downcall stub serves them all (see {@link Native}). On any other architecture
 * every number is -1, which the kernel answers with ENOSYS: each call then fails with a clear errno instead of
 * calling the wrong system call.
 */
final class Sysno {
    static final int IOCTL, OPENAT, CLOSE, READ, WRITE, PREAD64, PWRITE64, PPOLL, MMAP, MUNMAP, EVENTFD2,
            RT_SIGACTION, RT_SIGPROCMASK, GETPID, GETTID, TGKILL, SETPRIORITY;

    static {
        String arch = System.getProperty("os.arch", "");
        if (arch.equals("aarch64")) {
            IOCTL = 29; OPENAT = 56; CLOSE = 57; READ = 63; WRITE = 64; PREAD64 = 67; PWRITE64 = 68; PPOLL = 73;
            MMAP = 222; MUNMAP = 215; EVENTFD2 = 19; RT_SIGACTION = 134; RT_SIGPROCMASK = 135; GETPID = 172;
            GETTID = 178; TGKILL = 131; SETPRIORITY = 140;
        } else if (arch.equals("amd64") || arch.equals("x86_64")) {
            IOCTL = 16; OPENAT = 257; CLOSE = 3; READ = 0; WRITE = 1; PREAD64 = 17; PWRITE64 = 18; PPOLL = 271;
            MMAP = 9; MUNMAP = 11; EVENTFD2 = 290; RT_SIGACTION = 13; RT_SIGPROCMASK = 14; GETPID = 39;
            GETTID = 186; TGKILL = 234; SETPRIORITY = 141;
        } else {
            IOCTL = OPENAT = CLOSE = READ = WRITE = PREAD64 = PWRITE64 = PPOLL = MMAP = MUNMAP = EVENTFD2 =
                    RT_SIGACTION = RT_SIGPROCMASK = GETPID = GETTID = TGKILL = SETPRIORITY = -1;
        }
    }

    private Sysno() {
    }
}
