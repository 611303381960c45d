package org.vfio4j.virt.device;

/**
 * A device could not be created from its options: a property value a type rejects, a host device
 * that is missing or not bound to VFIO, a bus that is full. The message is for the person at the
 * terminal: what was wrong and what to do; {@code Main} prints it and exits with status 2.
 */
public class DeviceException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}. */
    public DeviceException(String message) {
        super(message);
    }

    /** A failure with an underlying cause (its message should already be in {@code message}). */
    public DeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
