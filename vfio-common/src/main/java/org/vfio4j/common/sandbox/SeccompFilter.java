package org.vfio4j.common.sandbox;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The sandbox's seccomp program in classic BPF: the architecture checked first (a call made through another
 * ABI ends the process), then the call number compared against the allowlist, most frequent first.
 *
 * <p>Two calls get rules of their own. {@code clone} is allowed only with {@code CLONE_THREAD} in its flags (a
 * new thread of this process, never a new process), which BPF can see because the flags are the first argument.
 * {@code clone3} passes its flags in memory, which BPF cannot read, so it fails with ENOSYS, and the C library
 * falls back to {@code clone}, as it does on kernels older than 5.3. x86_64's x32 numbers (bit 30 set) are not
 * on the list, because the same number means another call there. Everything else gets {@code otherwise}: a
 * user notification, which {@link Sandbox}'s supervisor answers.
 *
 * <p>Why a flat list and not a tree: about a hundred entries, with {@code ioctl} (every KVM_RUN, every VFIO
 * region access) and {@code futex} first, cost a handful of compares on the hot path. A jump in classic BPF
 * reaches at most 255 instructions ahead, which bounds the list; {@link #build} refuses a longer one.
 */
final class SeccompFilter {
    static final int RET_KILL_PROCESS = 0x80000000;
    static final int RET_ERRNO = 0x00050000;
    static final int RET_USER_NOTIF = 0x7fc00000;
    static final int RET_ALLOW = 0x7fff0000;
    static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;
    static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    static final int CLONE_THREAD = 0x00010000;
    static final int X32_SYSCALL_BIT = 0x40000000;
    static final int ENOSYS = 38;
    /** Offsets in {@code struct seccomp_data}: nr, arch, instruction_pointer, args[6]. */
    static final int NR = 0, ARCH = 4, ARG0 = 16;

    /** Classic BPF opcodes: {@code BPF_LD|BPF_W|BPF_ABS}, {@code BPF_JMP|BPF_JEQ|BPF_K}, ... */
    static final short LD_ABS = 0x20, JEQ = 0x15, JGE = 0x35, JSET = 0x45, RET = 0x06;

    /** One {@code struct sock_filter}. */
    record Insn(short code, int jt, int jf, int k) {
    }

    private SeccompFilter() {
    }

    /**
     * The program for architecture {@code auditArch}.
     *
     * @param allowed  call numbers allowed outright, tested in this order
     * @param clone    {@code clone}'s number: allowed with {@code CLONE_THREAD}, {@code otherwise} without
     * @param clone3   {@code clone3}'s number, answered with ENOSYS (-1: not this architecture's)
     * @param x32      whether numbers with {@link #X32_SYSCALL_BIT} get {@code otherwise} first (x86_64)
     * @param otherwise the action for every other call
     */
    static List<Insn> build(int auditArch, List<Integer> allowed, int clone, int clone3, boolean x32, int otherwise) {
        // positions of the fixed tail, counted from the end of the compare list
        int head = x32 ? 4 : 3;
        int compares = allowed.size() + 1 + (clone3 >= 0 ? 1 : 0);
        int retOtherwise = head + compares;        // ret otherwise
        int cloneCheck = retOtherwise + 1;         // ld arg0; jset CLONE_THREAD
        int retAllow = cloneCheck + 2;
        int retCloneOtherwise = retAllow + 1;      // a jump only goes forward: the clone check's own "otherwise"
        int retEnosys = retCloneOtherwise + 1;
        int retKill = retEnosys + 1;
        List<Insn> p = new ArrayList<>();
        p.add(new Insn(LD_ABS, 0, 0, ARCH));
        p.add(jump(JEQ, p.size(), auditArch, p.size() + 1, retKill));
        p.add(new Insn(LD_ABS, 0, 0, NR));
        if (x32) {
            p.add(jump(JGE, p.size(), X32_SYSCALL_BIT, retOtherwise, p.size() + 1));
        }
        for (int nr : allowed) {
            p.add(jump(JEQ, p.size(), nr, retAllow, p.size() + 1));
        }
        p.add(jump(JEQ, p.size(), clone, cloneCheck, p.size() + 1));
        if (clone3 >= 0) {
            p.add(jump(JEQ, p.size(), clone3, retEnosys, p.size() + 1));
        }
        p.add(new Insn(RET, 0, 0, otherwise));
        p.add(new Insn(LD_ABS, 0, 0, ARG0));       // the low half of the flags (little-endian on both)
        p.add(jump(JSET, p.size(), CLONE_THREAD, retAllow, retCloneOtherwise));
        p.add(new Insn(RET, 0, 0, RET_ALLOW));
        p.add(new Insn(RET, 0, 0, otherwise));
        p.add(new Insn(RET, 0, 0, RET_ERRNO | ENOSYS));
        p.add(new Insn(RET, 0, 0, RET_KILL_PROCESS));
        if (p.size() != retKill + 1) {
            throw new AssertionError("seccomp program layout: " + p.size() + " instructions, expected " + (retKill + 1));
        }
        return p;
    }

    private static Insn jump(short code, int at, int k, int ifTrue, int ifFalse) {
        int jt = ifTrue - at - 1;
        int jf = ifFalse - at - 1;
        if (jt < 0 || jt > 255 || jf < 0 || jf > 255) {
            throw new IllegalArgumentException("the allowlist is too long for classic BPF's 255-instruction jumps "
                    + "(a jump from " + at + " to " + Math.max(ifTrue, ifFalse) + ")");
        }
        return new Insn(code, jt, jf, k);
    }

    /** The program as the kernel reads it: 8 bytes per instruction, in the host's (little-endian) byte order. */
    static byte[] bytes(List<Insn> program) {
        ByteBuffer b = ByteBuffer.allocate(program.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (Insn i : program) {
            b.putShort(i.code()).put((byte) i.jt()).put((byte) i.jf()).putInt(i.k());
        }
        return b.array();
    }
}
