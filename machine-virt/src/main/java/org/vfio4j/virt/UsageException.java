package org.vfio4j.virt;

/**
 * A mistake on the command line (unknown option, bad size, missing kernel, unusable plugin
 * directory): {@link Main} prints the message alone, without a stack trace, and exits with status 2.
 */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A mistake described by {@code message} (what was wrong and what to write instead). */
    public UsageException(String message) {
        super(message);
    }
}
