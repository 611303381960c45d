package org.vfio4j.virt.qmp;

/**
 * A command's failure as QMP reports it: one of QEMU's error classes and a description for a person.
 *
 * <p>Why QEMU's classes: clients branch on them ({@code CommandNotFound} to probe for a command,
 * {@code DeviceNotFound} after a {@code device_del} race); everything else is {@code GenericError}, as in QEMU.
 */
final class QmpError extends Exception {
    private static final long serialVersionUID = 1L;

    private final String errorClass;

    QmpError(String errorClass, String desc) {
        super(desc, null, false, false);
        this.errorClass = errorClass;
    }

    /** {@code GenericError}: anything a client does not branch on. */
    static QmpError generic(String desc) {
        return new QmpError("GenericError", desc);
    }

    /** {@code CommandNotFound}. */
    static QmpError commandNotFound(String desc) {
        return new QmpError("CommandNotFound", desc);
    }

    /** {@code DeviceNotFound}: no device has the id given. */
    static QmpError deviceNotFound(String desc) {
        return new QmpError("DeviceNotFound", desc);
    }

    String errorClass() {
        return errorClass;
    }
}
