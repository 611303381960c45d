package org.vfio4j.common.sandbox;

import org.vfio4j.common.SyscallException;

/** The sandbox could not be put in place: which step failed, with the kernel's errno. */
public final class SandboxException extends SyscallException {
    private static final long serialVersionUID = 1L;

    /** As {@link SyscallException}'s: the whole line, the step, the errno (0 when refused before a call). */
    public SandboxException(String message, String operation, int errno) {
        super(message, operation, errno);
    }
}
