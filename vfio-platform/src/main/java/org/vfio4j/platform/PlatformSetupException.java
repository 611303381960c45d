package org.vfio4j.platform;

/**
 * A host platform device cannot be given to a guest: missing, on the wrong driver, in a group that is
 * not viable, in a no-IOMMU group without the opt-in, or its device-tree facts disagree with VFIO.
 *
 * <p>Why unchecked with a user-facing message: it reports the host's state, not a programming error;
 * the message says what is wrong and the command that fixes it, and machines print it without a stack
 * trace (machine-virt exits with status 2).
 */
public class PlatformSetupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A problem described by {@code message}. */
    public PlatformSetupException(String message) {
        super(message);
    }
}
