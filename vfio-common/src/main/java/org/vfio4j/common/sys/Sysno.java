package org.vfio4j.common.sys;

/**
 * The host's numbers of the system calls {@link Native} makes, read once from {@link Syscalls}.
 *
 * <p>Why constants: {@link Native} makes every system call through libc's {@code syscall(2)}, so one FFM downcall
 * stub serves them all, and a static final int is as cheap as a libc wrapper. On an architecture without a table
 * every number is -1, which the kernel answers with ENOSYS: each call then fails with a clear errno instead of
 * calling the wrong system call.
 */
final class Sysno {
    static final int IOCTL = n("ioctl"), OPENAT = n("openat"), CLOSE = n("close"), READ = n("read"),
            WRITE = n("write"), PREAD64 = n("pread64"), PWRITE64 = n("pwrite64"), PPOLL = n("ppoll"),
            MMAP = n("mmap"), MUNMAP = n("munmap"), EVENTFD2 = n("eventfd2"), RT_SIGACTION = n("rt_sigaction"),
            RT_SIGPROCMASK = n("rt_sigprocmask"), GETPID = n("getpid"), GETTID = n("gettid"), TGKILL = n("tgkill"),
            SETPRIORITY = n("setpriority"), GETEUID = n("geteuid"), MEMFD_CREATE = n("memfd_create"),
            FTRUNCATE = n("ftruncate"), UNLINKAT = n("unlinkat"), RT_SIGTIMEDWAIT = n("rt_sigtimedwait"),
            FCNTL = n("fcntl"), PRCTL = n("prctl"), SECCOMP = n("seccomp"), CAPSET = n("capset"),
            PRLIMIT64 = n("prlimit64"), SOCKET = n("socket"), BIND = n("bind"), LISTEN = n("listen"),
            ACCEPT4 = n("accept4"), RECVMSG = n("recvmsg"), SENDTO = n("sendto"), SHUTDOWN = n("shutdown"),
            CONNECT = n("connect"), SENDMSG = n("sendmsg");

    private Sysno() {
    }

    private static int n(String name) {
        return Syscalls.numberOrNone(name);
    }
}
