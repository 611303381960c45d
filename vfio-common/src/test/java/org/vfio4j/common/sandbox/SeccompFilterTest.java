package org.vfio4j.common.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/**
 * The filter program run by a classic-BPF interpreter written here for the handful of opcodes the program uses,
 * on {@code struct seccomp_data} images: what each kind of call gets.
 */
class SeccompFilterTest {
    private static final int AARCH64 = SeccompFilter.AUDIT_ARCH_AARCH64;
    private static final int X86_64 = SeccompFilter.AUDIT_ARCH_X86_64;
    private static final List<SeccompFilter.Insn> ARM = SeccompFilter.build(AARCH64, List.of(29, 98, 63), 220, 435,
            false, SeccompFilter.RET_USER_NOTIF);
    private static final List<SeccompFilter.Insn> X86 = SeccompFilter.build(X86_64, List.of(16, 202, 0), 56, 435,
            true, SeccompFilter.RET_USER_NOTIF);

    /** Runs {@code program} on one call: the action it returns. */
    static int run(List<SeccompFilter.Insn> program, int arch, int nr, long arg0) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, arch).putLong(16, arg0);
        int a = 0;
        for (int pc = 0; pc < program.size(); pc++) {
            SeccompFilter.Insn i = program.get(pc);
            switch (i.code()) {
                case SeccompFilter.LD_ABS -> a = data.getInt(i.k());
                case SeccompFilter.JEQ -> pc += a == i.k() ? i.jt() : i.jf();
                case SeccompFilter.JGE -> pc += Integer.compareUnsigned(a, i.k()) >= 0 ? i.jt() : i.jf();
                case SeccompFilter.JSET -> pc += (a & i.k()) != 0 ? i.jt() : i.jf();
                case SeccompFilter.RET -> {
                    return i.k();
                }
                default -> throw new AssertionError("opcode " + i.code());
            }
        }
        throw new AssertionError("the program ran off its end");
    }

    @Test
    void listedCallsAreAllowedAndOthersNotified() {
        for (int nr : List.of(29, 98, 63)) {
            assertEquals(SeccompFilter.RET_ALLOW, run(ARM, AARCH64, nr, 0), "nr " + nr);
        }
        for (int nr : List.of(221, 0, 64, 1000)) {   // execve, io_setup, write (not listed here), out of range
            assertEquals(SeccompFilter.RET_USER_NOTIF, run(ARM, AARCH64, nr, 0), "nr " + nr);
        }
    }

    @Test
    void cloneIsAllowedForAThreadOnlyAndClone3FailsWithEnosys() {
        assertEquals(SeccompFilter.RET_ALLOW, run(ARM, AARCH64, 220, 0x3d0f00));      // glibc's pthread_create flags
        assertEquals(SeccompFilter.RET_USER_NOTIF, run(ARM, AARCH64, 220, 0x4111));   // posix_spawn: VM|VFORK|SIGCHLD
        assertEquals(SeccompFilter.RET_USER_NOTIF, run(ARM, AARCH64, 220, 0x11));     // fork
        assertEquals(SeccompFilter.RET_ERRNO | SeccompFilter.ENOSYS, run(ARM, AARCH64, 435, 0));
    }

    @Test
    void anotherArchitectureIsKilledAndX32NumbersAreNotified() {
        assertEquals(SeccompFilter.RET_KILL_PROCESS, run(ARM, X86_64, 29, 0));
        assertEquals(SeccompFilter.RET_KILL_PROCESS, run(X86, 0x40000003, 16, 0));    // i386
        assertEquals(SeccompFilter.RET_ALLOW, run(X86, X86_64, 16, 0));
        assertEquals(SeccompFilter.RET_USER_NOTIF, run(X86, X86_64, 0x40000000 | 16, 0));
        assertEquals(SeccompFilter.RET_USER_NOTIF, run(X86, X86_64, 59, 0));          // execve
    }

    @Test
    void theHostsProgramAllowsWhatTheVmmNeedsAndStopsWhatStartsAProgram() {
        List<SeccompFilter.Insn> p = Sandbox.program();
        int arch = System.getProperty("os.arch").equals("aarch64") ? AARCH64 : X86_64;
        for (String call : List.of("ioctl", "futex", "openat", "mmap", "accept4", "recvmsg", "exit_group")) {
            int nr = org.vfio4j.common.sys.Syscalls.number(call).orElseThrow();
            assertEquals(SeccompFilter.RET_ALLOW, run(p, arch, nr, 0), call);
        }
        for (String call : List.of("execve", "execveat", "ptrace", "mount", "setuid", "init_module", "bpf", "kill",
                "unshare", "seccomp", "capset", "connect")) {
            int nr = org.vfio4j.common.sys.Syscalls.number(call).orElseThrow();
            assertEquals(SeccompFilter.RET_USER_NOTIF, run(p, arch, nr, 0), call);
        }
    }

    @Test
    void everyAllowedNameIsAKnownCallAndNoneIsListedTwice() {
        // the names after || are x86_64's older calls, which arm64 does not have
        for (String name : Sandbox.ALLOWED) {
            assertTrue(org.vfio4j.common.sys.Syscalls.number(name).isPresent()
                    || List.of("open", "stat", "lstat", "poll", "epoll_wait", "epoll_create", "readlink", "access",
                            "dup2", "unlink", "pipe", "select").contains(name), name + " is not a call of this host");
        }
        assertEquals(Sandbox.ALLOWED.size(), Sandbox.ALLOWED.stream().distinct().count());
    }

    @Test
    void aListTooLongForBpfJumpsIsRefused() {
        List<Integer> many = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            many.add(i);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SeccompFilter.build(AARCH64, many, 220, 435, false, SeccompFilter.RET_USER_NOTIF));
        assertTrue(e.getMessage().contains("255"), e.getMessage());
    }

    @Test
    void theBytesAreEightPerInstructionLittleEndian() {
        byte[] b = SeccompFilter.bytes(List.of(new SeccompFilter.Insn(SeccompFilter.JEQ, 1, 2, 0x11223344)));
        assertEquals(8, b.length);
        assertEquals(List.of(0x15, 0x00, 0x01, 0x02, 0x44, 0x33, 0x22, 0x11),
                IntStream.range(0, 8).map(i -> b[i] & 0xff).boxed().toList());
    }
}
