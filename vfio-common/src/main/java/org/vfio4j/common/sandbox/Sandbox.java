package org.vfio4j.common.sandbox;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;
import org.vfio4j.common.sys.Syscalls;

/**
 * Least privilege for a process that has done its set-up: no new privileges, no capabilities on the calling
 * thread, and a seccomp allowlist on every thread, whose refusals a supervisor thread reports by name.
 *
 * <p>Why an allowlist and a supervisor: a VMM's attack surface is what a compromised device model could ask the
 * kernel for. After set-up it needs about a hundred calls (KVM and VFIO ioctls, memory, threads, files it already
 * has, its QMP socket), and none that starts a program, changes who it is, or loads anything into the kernel.
 * A kill action would end the process with SIGSYS and no word. Here every call off the list becomes a user
 * notification instead: the call fails with EPERM without running, and {@link Denial} names it, the thread and
 * its first argument, so the owner of the process can end it cleanly (a VMM releases its devices) and the person
 * reading the message knows which call to look at. {@link Mode#LOG} lets such calls run and reports each one
 * once, for finding what a new code path needs.
 *
 * <p>What it cannot do: capabilities belong to threads in Linux, and only the calling thread drops its own, with
 * every thread it starts after. Threads started before (the JVM's compiler and GC threads, say) keep the ones
 * the process started with. No guest-reachable code runs on them, the allowlist binds them too, and no
 * capability can be gained again once no_new_privs is set. A process that must hold none at all is started
 * without them, as an ordinary user, which is the way this project documents. The filter cannot be removed: it
 * lasts as long as the process.
 *
 * {@snippet :
 * Sandbox s = Sandbox.install(Sandbox.Mode.ENFORCE, 2 * ramBytes, denial -> {
 *     System.err.println("sandbox: " + denial.describe());
 *     // end the process the orderly way
 * });
 * }
 */
public final class Sandbox {
    /** What a call off the allowlist does. */
    public enum Mode {
        /** It fails with EPERM, and is reported. */
        ENFORCE,
        /** It runs, and is reported the first time each call is made. */
        LOG
    }

    /**
     * A call the allowlist does not hold.
     *
     * @param tid    the calling thread's id
     * @param thread its name ({@code /proc/self/task/TID/comm}), or "?" when it could not be read
     * @param number the call's number on this architecture
     * @param arg0   its first argument (clone's flags, execve's path pointer, ...)
     */
    public record Denial(int tid, String thread, int number, long arg0) {
        /** The call's name ({@code "system call N"} for one the table does not list). */
        public String call() {
            return Syscalls.name(number);
        }

        /** One line: the call, its first argument, the thread. */
        public String describe() {
            return String.format("%s (first argument 0x%x) in thread '%s' (tid %d)", call(), arg0, thread, tid);
        }
    }

    /** The calls let through, most frequent first; a name this architecture lacks is skipped. */
    static final List<String> ALLOWED = List.of(
            // the hot path: KVM_RUN and VFIO region and eventfd ioctls, locks, event loops
            "ioctl", "futex", "read", "write", "pread64", "pwrite64", "ppoll", "poll", "epoll_pwait",
            "epoll_pwait2", "epoll_wait", "sched_yield", "clock_gettime", "clock_nanosleep", "nanosleep",
            // memory
            "mmap", "munmap", "mprotect", "madvise", "mremap", "brk", "msync", "mincore", "membarrier",
            "mlock", "munlock", "get_mempolicy",
            // threads and signals
            "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "exit", "exit_group", "gettid",
            "getpid", "getppid", "tgkill", "tkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
            "rt_sigtimedwait", "rt_sigpending", "sigaltstack", "restart_syscall", "sched_getaffinity",
            "sched_getparam", "sched_getscheduler", "sched_get_priority_min", "sched_get_priority_max",
            "getpriority", "setpriority", "prctl",
            // time and facts about the process
            "clock_getres", "gettimeofday", "getcpu", "times", "getrusage", "getrandom", "uname", "sysinfo", "getcwd",
            "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "getrlimit",
            "prlimit64",
            // files: reading sysfs and /proc, the kernel on a reboot, the pid file, fds it holds
            "openat", "open", "close", "lseek", "fstat", "newfstatat", "stat", "lstat", "statx", "fstatfs",
            "statfs", "getdents64", "readlink", "readlinkat", "access", "faccessat", "faccessat2", "fcntl", "dup",
            "dup2", "dup3", "ftruncate", "fallocate", "fsync", "fdatasync", "unlink", "unlinkat", "fadvise64",
            "flock", "readv", "writev", "memfd_create", "eventfd2", "pipe", "pipe2",
            // the QMP socket: accepting clients and fds they pass
            "socket", "bind", "listen", "accept", "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg",
            "shutdown", "getsockname", "getpeername", "getsockopt", "setsockopt", "epoll_ctl", "epoll_create1",
            "epoll_create", "pselect6", "select");

    private static final int PR_GET_SECCOMP = 21;
    private static final int SECCOMP_GET_ACTION_AVAIL = 2;
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final int PR_CAPBSET_DROP = 24;
    private static final int PR_CAP_AMBIENT = 47;
    private static final int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    private static final int RLIMIT_MEMLOCK = 8;
    private static final int SECCOMP_SET_MODE_FILTER = 1;
    private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    private static final int SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
    private static final int SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 16;
    static final long SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100L;
    static final long SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101L;
    static final int NOTIF_BYTES = 80;
    static final int NOTIF_RESP_BYTES = 24;
    private static final int SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;

    private final Mode mode;
    private final int listener;

    private Sandbox(Mode mode, int listener) {
        this.mode = mode;
        this.listener = listener;
    }

    /**
     * Puts the sandbox in place for this process, for good: RLIMIT_MEMLOCK raised to {@code memlockBytes} while
     * the thread may still raise it (a VMM pins its RAM again on a reboot, without CAP_IPC_LOCK then; 0 leaves
     * it), the capability bounding set and ambient set emptied where allowed, the calling thread's capabilities
     * dropped, no_new_privs set, and the filter installed on every thread. {@code onDenial} is called on the
     * supervisor thread for each refused call ({@link Mode#ENFORCE}) or the first use of each call off the list
     * ({@link Mode#LOG}).
     *
     * @throws SandboxException if a step the sandbox cannot do without fails (no seccomp in the kernel, a thread
     *                          the filter could not be synchronised to)
     */
    public static Sandbox install(Mode mode, long memlockBytes, Consumer<Denial> onDenial) {
        raiseMemlock(memlockBytes);
        dropCapabilities();
        check((int) Native.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)",
                "the kernel refused no_new_privs");
        int fd = installFilter();
        Sandbox s = new Sandbox(mode, fd);
        Thread.ofPlatform().daemon().name("vfio4j-sandbox").start(() -> s.supervise(onDenial));
        return s;
    }

    /**
     * Whether this host can have the sandbox: a kernel with seccomp filters and user notifications
     * ({@code CONFIG_SECCOMP_FILTER}, Linux 5.0; the synchronised listener needs 5.7) on an architecture
     * {@link Syscalls} knows. Asked before {@link #install} changes anything, so a caller for whom the sandbox is
     * optional can go on without it.
     */
    public static boolean available() {
        if (auditArch() == 0) {
            return false;
        }
        if (Native.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
            return false;   // EINVAL: no CONFIG_SECCOMP
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment action = a.allocate(4, 4);
            action.set(JAVA_INT, 0, SeccompFilter.RET_USER_NOTIF);
            return Native.seccomp(SECCOMP_GET_ACTION_AVAIL, 0, action) == 0;
        }
    }

    /** LOG or ENFORCE. */
    public Mode mode() {
        return mode;
    }

    /** The numbers {@link #ALLOWED} has on this architecture. */
    static List<Integer> allowedNumbers() {
        List<Integer> numbers = new ArrayList<>();
        for (String name : ALLOWED) {
            Syscalls.number(name).ifPresent(numbers::add);
        }
        return numbers;
    }

    /** The host's {@code AUDIT_ARCH_*}, or 0 on an architecture whose calls {@link Syscalls} does not know. */
    private static int auditArch() {
        return switch (System.getProperty("os.arch", "")) {
            case "aarch64" -> SeccompFilter.AUDIT_ARCH_AARCH64;
            case "amd64", "x86_64" -> SeccompFilter.AUDIT_ARCH_X86_64;
            default -> 0;
        };
    }

    /** The filter program for this host. */
    static List<SeccompFilter.Insn> program() {
        int audit = auditArch();
        if (audit == 0) {
            throw new SandboxException("the sandbox knows the system calls of aarch64 and x86_64, not "
                    + System.getProperty("os.arch") + "; run without it (-sandbox off)", "seccomp", 0);
        }
        return SeccompFilter.build(audit, allowedNumbers(), Syscalls.number("clone").orElseThrow(),
                Syscalls.number("clone3").orElse(-1), audit == SeccompFilter.AUDIT_ARCH_X86_64,
                SeccompFilter.RET_USER_NOTIF);
    }

    private static int installFilter() {
        byte[] code = SeccompFilter.bytes(program());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment insns = a.allocate(code.length, 8);
            MemorySegment.copy(MemorySegment.ofArray(code), 0, insns, 0, code.length);
            MemorySegment prog = a.allocate(16, 8);   // struct sock_fprog { u16 len; struct sock_filter *filter; }
            prog.set(JAVA_SHORT, 0, (short) (code.length / 8));
            prog.set(JAVA_LONG, 8, insns.address());
            int r = Native.seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC
                    | SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH, prog);
            return check(r, "seccomp(SECCOMP_SET_MODE_FILTER)", r == -Errno.ESRCH
                    ? "a thread of this process could not take the filter"
                    : "the kernel refused the filter (it needs CONFIG_SECCOMP_FILTER and Linux 5.7)");
        }
    }

    private static void raiseMemlock(long bytes) {
        if (bytes <= 0) {
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(16, 8);
            if (Native.prlimit(RLIMIT_MEMLOCK, MemorySegment.NULL, old) != 0) {
                return;
            }
            long soft = old.get(JAVA_LONG, 0);
            long hard = old.get(JAVA_LONG, 8);
            if (soft == -1L || Long.compareUnsigned(soft, bytes) >= 0) {
                return;   // unlimited, or enough already
            }
            MemorySegment raised = a.allocate(16, 8);
            raised.set(JAVA_LONG, 0, bytes);
            raised.set(JAVA_LONG, 8, hard == -1L || Long.compareUnsigned(hard, bytes) >= 0 ? hard : bytes);
            Native.prlimit(RLIMIT_MEMLOCK, raised, MemorySegment.NULL);   // EPERM without CAP_SYS_RESOURCE: as it was
        }
    }

    private static void dropCapabilities() {
        int last = lastCapability();
        for (int cap = 0; cap <= last; cap++) {
            if (Native.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -Errno.EPERM) {
                break;   // no CAP_SETPCAP: the bounding set stays, and no_new_privs keeps it from mattering
            }
        }
        Native.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment header = a.allocate(8, 4);
            header.set(JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
            MemorySegment data = a.allocate(24, 4);   // two {effective, permitted, inheritable}, all empty
            check(Native.capset(header, data), "capset", "the capabilities could not be dropped");
        }
    }

    private static int lastCapability() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/kernel/cap_last_cap")).strip());
        } catch (IOException | NumberFormatException e) {
            return 63;
        }
    }

    private static int check(int r, String operation, String what) {
        if (r < 0) {
            throw new SandboxException("sandbox: " + what + ": " + Errno.describe(-r), operation, -r);
        }
        return r;
    }

    /** The supervisor: answers every notification, then reports it. Runs until the listener fails. */
    private void supervise(Consumer<Denial> onDenial) {
        Set<Integer> reported = new HashSet<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment notif = a.allocate(NOTIF_BYTES, 8);
            MemorySegment resp = a.allocate(NOTIF_RESP_BYTES, 8);
            while (true) {
                notif.fill((byte) 0);   // the kernel wants it zeroed
                int r = Native.ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notif);
                if (r < 0) {
                    if (r == -Errno.ENOENT) {
                        continue;   // the caller went away (a signal) before it was read
                    }
                    return;
                }
                long id = notif.get(JAVA_LONG, 0);
                int tid = notif.get(JAVA_INT, 8);
                int nr = notif.get(JAVA_INT, 16);
                long arg0 = notif.get(JAVA_LONG, 32);
                boolean report = mode == Mode.ENFORCE || reported.add(nr);
                // named while the caller waits for the answer: once answered it may end, and its name with it
                String thread = report ? threadName(tid) : "";
                resp.fill((byte) 0);
                resp.set(JAVA_LONG, 0, id);
                if (mode == Mode.LOG) {
                    resp.set(JAVA_INT, 20, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
                } else {
                    resp.set(JAVA_INT, 16, -Errno.EPERM);
                }
                Native.ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);   // ENOENT: the caller is gone already
                if (report) {
                    onDenial.accept(new Denial(tid, thread, nr, arg0));
                }
            }
        }
    }

    private static String threadName(int tid) {
        try {
            return Files.readString(Path.of("/proc/self/task/" + tid + "/comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
