package org.vfio4j.pci;

/**
 * A {@code -device vfio-pci,...} option string the user got wrong.
 *
 * <p>Why its own type: it is a user mistake, so launchers print its message (which names the
 * property, the bad value and what is accepted) and exit, rather than showing a stack trace.
 */
public final class PciOptionException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** @param message what was wrong and what to write instead */
    public PciOptionException(String message) {
        super(message);
    }
}
