package org.vfio4j.virt.kvm;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.SyscallException;
import org.vfio4j.common.sys.Errno;

/**
 * A KVM call failed: names the ioctl (or system call), the errno as name and words, and what to do next.
 *
 * <p>Why one exception type with the operation and errno: the person at the terminal needs to know which
 * step failed ({@code KVM_CREATE_VM}, {@code KVM_ARM_VCPU_INIT}) and the kernel's reason, not a stack trace.
 */
public final class KvmException extends SyscallException {
    private static final long serialVersionUID = 1L;

    public KvmException(String operation, int errno, String advice) {
        super(message(operation, errno, advice), operation, errno);
    }

    /** A failure the kernel did not report through errno (a refused capability, a bad argument). */
    public static KvmException refused(String operation, String why) {
        return new KvmException(operation, 0, why);
    }

    private static String message(String operation, int errno, @Nullable String advice) {
        StringBuilder b = new StringBuilder(operation).append(" failed");
        if (errno != 0) {
            b.append(": ").append(Errno.describe(errno));
        }
        if (advice != null && !advice.isEmpty()) {
            b.append(errno != 0 ? "; " : ": ").append(advice);
        }
        return b.toString();
    }
}
