package org.vfio4j.virt.fdt;

import java.util.Map;

/**
 * A device tree could not be written or read: a libfdt call failed (the message carries
 * {@code fdt_strerror}'s name for the code and what it means here), a phandle reference names no
 * node, or the blob would exceed the size the boot protocol allows.
 *
 * <p>Why unchecked: these are either programming errors in a device's node or resource limits the
 * caller cannot recover from locally; {@code Main} turns them into one clear line.
 */
public final class FdtException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private static final Map<Integer, String> MEANING = Map.of(
            1, "the node or property does not exist",
            3, "the blob buffer is too small",
            7, "libfdt calls were made in the wrong order",
            8, "the blob is truncated",
            9, "the data does not start with the device-tree magic (not a DTB)",
            10, "unsupported device-tree version",
            11, "the structure block is malformed",
            15, "a value is malformed");

    private final int libfdtError;

    /** A failure not coming from a libfdt return code. */
    public FdtException(String message) {
        super(message);
        this.libfdtError = 0;
    }

    /** A failure with a cause (e.g. the library could not be loaded). */
    public FdtException(String message, Throwable cause) {
        super(message, cause);
        this.libfdtError = 0;
    }

    private FdtException(String message, int libfdtError) {
        super(message);
        this.libfdtError = libfdtError;
    }

    /**
     * An exception for libfdt's negative return {@code rc} from {@code operation}.
     *
     * @param operation what was being done, e.g. {@code "fdt_property(reg) in /memory@40000000"}
     * @param name      the {@code fdt_strerror} text for {@code rc}
     */
    static FdtException fromLibfdt(String operation, int rc, String name) {
        int code = -rc;
        String meaning = MEANING.getOrDefault(code, "see libfdt.h");
        return new FdtException("libfdt " + operation + " failed: " + name + " (" + meaning + ")", code);
    }

    /** The positive {@code FDT_ERR_*} code, or 0 if this did not come from a libfdt return code. */
    public int libfdtError() {
        return libfdtError;
    }
}
