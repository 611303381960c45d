package org.vfio4j.lab;

/**
 * The lab itself failed: a preparation step, QEMU, the lab host's boot, or a run past its timeout.
 *
 * <p>Why unchecked and separate from a command's non-zero status: a command that fails is a normal
 * {@link LabResult}; a lab that fails means the test could not even be attempted. The message is
 * written for the person at the terminal: what failed, what was seen, and what to do next.
 */
public class LabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A lab failure described by {@code message}. */
    public LabException(String message) {
        super(message);
    }

    /**
     * The lab host went down before the command started: a boot-time failure of the emulation
     * (two kinds were seen under heavy load), which {@link Lab} retries once.
     */
    static final class BootFailure extends LabException {
        private static final long serialVersionUID = 1L;

        BootFailure(String message) {
            super(message);
        }
    }

    /** A lab failure described by {@code message}, caused by {@code cause}. */
    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
