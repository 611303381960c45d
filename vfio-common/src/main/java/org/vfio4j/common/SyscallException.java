package org.vfio4j.common;

/**
 * A system call (an ioctl, an mmap, an open) failed, or was refused before it was made: which operation, the
 * errno, and a message that says what to do. The one base of vfio4j's failures of the kernel's making:
 * {@link VfioException} for VFIO, machine-virt's {@code KvmException} for KVM.
 *
 * <p>Why unchecked: device models call region accessors from MMIO trap handlers and IRQ code from callbacks,
 * where a checked exception would only be wrapped; the failure still carries everything needed to act on it.
 */
public abstract class SyscallException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String operation;
    private final int errno;

    /**
     * @param message   the whole line for the terminal
     * @param operation what was attempted
     * @param errno     the kernel's errno, or 0 if the request was refused before the system call
     */
    protected SyscallException(String message, String operation, int errno) {
        super(message);
        this.operation = operation;
        this.errno = errno;
    }

    /** The operation that failed, as given to the constructor. */
    public final String operation() {
        return operation;
    }

    /** The errno the kernel returned, or 0 when the request was refused before the system call. */
    public final int errno() {
        return errno;
    }
}
