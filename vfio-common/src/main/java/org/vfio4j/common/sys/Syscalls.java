package org.vfio4j.common.sys;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The system calls vfio4j knows by name, with their numbers on arm64 (the kernel's generic table) and x86_64.
 *
 * <p>Why one table: {@link Native} makes every call through libc's {@code syscall(2)} by number, and the sandbox
 * filters by number and names a call it stopped. Both read their numbers here. Each number is the kernel's
 * {@code __NR_} value, and {@code SysnoHeaderTest} checks every entry against {@code <asm/unistd.h>} for both
 * architectures. A call an architecture lacks is -1 there: arm64 has no {@code open}, {@code fork} or
 * {@code poll}, only their {@code *at} and {@code p*} successors.
 *
 * {@snippet :
 * OptionalInt nr = Syscalls.number("execve");       // 221 on arm64, 59 on x86_64
 * String name = Syscalls.name(221);                 // "execve" on arm64
 * }
 */
public final class Syscalls {
    private record Entry(String name, int arm64, int x86_64) {
    }

    private static Entry e(String name, int arm64, int x86_64) {
        return new Entry(name, arm64, x86_64);
    }

    private static final List<Entry> ENTRIES = List.of(
            // the VMM's and vfio-common's own calls
            e("ioctl", 29, 16), e("openat", 56, 257), e("close", 57, 3), e("read", 63, 0), e("write", 64, 1),
            e("pread64", 67, 17), e("pwrite64", 68, 18), e("ppoll", 73, 271), e("mmap", 222, 9), e("munmap", 215, 11),
            e("eventfd2", 19, 290), e("rt_sigaction", 134, 13), e("rt_sigprocmask", 135, 14), e("getpid", 172, 39),
            e("gettid", 178, 186), e("tgkill", 131, 234), e("setpriority", 140, 141), e("geteuid", 175, 107),
            e("memfd_create", 279, 319), e("ftruncate", 46, 77), e("unlinkat", 35, 263),
            e("rt_sigtimedwait", 137, 128), e("fcntl", 25, 72), e("prctl", 167, 157), e("seccomp", 277, 317),
            e("capset", 91, 126), e("prlimit64", 261, 302),
            // memory
            e("mprotect", 226, 10), e("madvise", 233, 28), e("mremap", 216, 25), e("brk", 214, 12),
            e("msync", 227, 26), e("mincore", 232, 27), e("membarrier", 283, 324), e("mlock", 228, 149),
            e("munlock", 229, 150), e("get_mempolicy", 236, 239),
            // threads, signals and time
            e("futex", 98, 202), e("set_robust_list", 99, 273), e("get_robust_list", 100, 274), e("rseq", 293, 334),
            e("set_tid_address", 96, 218), e("sched_yield", 124, 24), e("sched_getaffinity", 123, 204),
            e("sched_getparam", 121, 143), e("sched_getscheduler", 120, 145), e("sched_get_priority_min", 126, 147),
            e("sched_get_priority_max", 125, 146), e("getpriority", 141, 140), e("clone", 220, 56),
            e("clone3", 435, 435), e("exit", 93, 60), e("exit_group", 94, 231), e("getppid", 173, 110),
            e("tkill", 130, 200), e("rt_sigreturn", 139, 15), e("rt_sigpending", 136, 127),
            e("sigaltstack", 132, 131), e("restart_syscall", 128, 219), e("nanosleep", 101, 35),
            e("clock_nanosleep", 115, 230), e("clock_gettime", 113, 228), e("clock_getres", 114, 229),
            e("gettimeofday", 169, 96), e("getcpu", 168, 309), e("times", 153, 100), e("getrusage", 165, 98),
            // files
            e("open", -1, 2), e("lseek", 62, 8), e("fstat", 80, 5), e("newfstatat", 79, 262), e("stat", -1, 4),
            e("lstat", -1, 6), e("statx", 291, 332), e("fstatfs", 44, 138), e("statfs", 43, 137),
            e("getdents64", 61, 217), e("readlink", -1, 89), e("readlinkat", 78, 267), e("access", -1, 21),
            e("faccessat", 48, 269), e("faccessat2", 439, 439), e("dup", 23, 32), e("dup2", -1, 33),
            e("dup3", 24, 292), e("fallocate", 47, 285), e("fsync", 82, 74), e("fdatasync", 83, 75),
            e("unlink", -1, 87), e("fadvise64", 223, 221), e("flock", 32, 73), e("readv", 65, 19),
            e("writev", 66, 20),
            // sockets and waiting
            e("socket", 198, 41), e("bind", 200, 49), e("listen", 201, 50), e("accept", 202, 43),
            e("accept4", 242, 288), e("recvfrom", 207, 45), e("recvmsg", 212, 47), e("sendto", 206, 44),
            e("sendmsg", 211, 46), e("shutdown", 210, 48), e("getsockname", 204, 51), e("getpeername", 205, 52),
            e("getsockopt", 209, 55), e("setsockopt", 208, 54), e("poll", -1, 7), e("epoll_pwait", 22, 281),
            e("epoll_pwait2", 441, 441), e("epoll_wait", -1, 232), e("epoll_ctl", 21, 233),
            e("epoll_create1", 20, 291), e("epoll_create", -1, 213), e("pselect6", 72, 270), e("select", -1, 23),
            e("pipe2", 59, 293), e("pipe", -1, 22),
            // process facts
            e("getrandom", 278, 318), e("uname", 160, 63), e("sysinfo", 179, 99), e("getcwd", 17, 79),
            e("getuid", 174, 102), e("getgid", 176, 104), e("getegid", 177, 108), e("getresuid", 148, 118),
            e("getresgid", 150, 120), e("getgroups", 158, 115), e("getrlimit", 163, 97),
            // named when denied
            e("execve", 221, 59), e("execveat", 281, 322), e("fork", -1, 57), e("vfork", -1, 58),
            e("ptrace", 117, 101), e("mount", 40, 165), e("umount2", 39, 166), e("setuid", 146, 105),
            e("setgid", 144, 106), e("setreuid", 145, 113), e("setregid", 143, 114), e("setresuid", 147, 117),
            e("setresgid", 149, 119), e("setgroups", 159, 116), e("setfsuid", 151, 122), e("setfsgid", 152, 123),
            e("chroot", 51, 161), e("pivot_root", 41, 155), e("kexec_load", 104, 246), e("kexec_file_load", 294, 320),
            e("init_module", 105, 175), e("finit_module", 273, 313), e("delete_module", 106, 176), e("bpf", 280, 321),
            e("perf_event_open", 241, 298), e("process_vm_readv", 270, 310), e("process_vm_writev", 271, 311),
            e("kill", 129, 62), e("reboot", 142, 169), e("swapon", 224, 167), e("swapoff", 225, 168),
            e("unshare", 97, 272), e("setns", 268, 308), e("personality", 92, 135), e("keyctl", 219, 250),
            e("add_key", 217, 248), e("request_key", 218, 249), e("userfaultfd", 282, 323),
            e("io_uring_setup", 425, 425), e("connect", 203, 42), e("mknodat", 33, 259), e("mkdirat", 34, 258),
            e("chdir", 49, 80), e("fchdir", 50, 81), e("chmod", -1, 90), e("fchmod", 52, 91), e("fchmodat", 53, 268),
            e("chown", -1, 92), e("fchown", 55, 93), e("fchownat", 54, 260), e("symlinkat", 36, 266),
            e("linkat", 37, 265), e("renameat", 38, 264), e("renameat2", 276, 316), e("mkdir", -1, 83),
            e("rename", -1, 82), e("rmdir", -1, 84), e("link", -1, 86), e("symlink", -1, 88),
            e("arch_prctl", -1, 158), e("wait4", 260, 61), e("waitid", 95, 247)
    );

    private static final String HOST = hostArch(System.getProperty("os.arch", ""));
    private static final Map<String, Integer> BY_NAME = new HashMap<>();
    private static final Map<Integer, String> BY_NUMBER = new HashMap<>();

    static {
        for (Entry en : ENTRIES) {
            int nr = number(HOST, en);
            if (nr >= 0) {
                BY_NAME.put(en.name(), nr);
                BY_NUMBER.put(nr, en.name());
            }
        }
    }

    private Syscalls() {
    }

    /** {@code "aarch64"} or {@code "x86_64"} for an {@code os.arch} value, else the value itself (no table). */
    static String hostArch(String osArch) {
        return osArch.equals("amd64") ? "x86_64" : osArch;
    }

    private static int number(String arch, Entry en) {
        return switch (arch) {
            case "aarch64" -> en.arm64();
            case "x86_64" -> en.x86_64();
            default -> -1;
        };
    }

    /** The host architecture's number for {@code name}, empty when the call does not exist there or is not listed. */
    public static OptionalInt number(String name) {
        Integer nr = BY_NAME.get(name);
        return nr == null ? OptionalInt.empty() : OptionalInt.of(nr);
    }

    /** The host's number for {@code name}, or -1 (which the kernel answers with ENOSYS). */
    static int numberOrNone(String name) {
        return number(name).orElse(-1);
    }

    /** The name of the host's call {@code nr}, or {@code "system call NR"} for one this table does not list. */
    public static String name(int nr) {
        String n = BY_NUMBER.get(nr);
        return n != null ? n : "system call " + nr;
    }

    /** The number of {@code name} on {@code arch} ({@code "aarch64"}, {@code "x86_64"}), -1 if absent there. */
    static int number(String arch, String name) {
        for (Entry en : ENTRIES) {
            if (en.name().equals(name)) {
                return number(arch, en);
            }
        }
        throw new IllegalArgumentException("no system call " + name + " in the table");
    }

    /** Every listed name, in table order. */
    static List<String> names() {
        return ENTRIES.stream().map(Entry::name).toList();
    }
}
