package org.vfio4j.common;

import org.vfio4j.common.sys.Errno;

/**
 * A VFIO operation failed: which operation, the errno in words, and what the person at the terminal can do.
 * {@link #errno()} is 0 when vfio4j refused the request itself before asking the kernel (for example a DMA
 * mapping outside the container's valid IOVA ranges).
 */
public class VfioException extends SyscallException {
    private static final long serialVersionUID = 1L;

    /**
     * @param operation what was attempted, e.g. {@code "VFIO_IOMMU_MAP_DMA of 4096 bytes at IOVA 0x100000"}
     * @param errno     the kernel's errno, or 0 if vfio4j refused before the system call
     * @param whatNext  the advice for the reader; may be empty
     */
    public VfioException(String operation, int errno, String whatNext) {
        super(format(operation, errno, whatNext), operation, errno);
    }

    /** A refusal by vfio4j itself (errno 0): {@code operation} could not be honoured, {@code why}. */
    public static VfioException refused(String operation, String why) {
        return new VfioException(operation, 0, why);
    }

    private static String format(String operation, int errno, String whatNext) {
        StringBuilder sb = new StringBuilder(operation);
        if (errno != 0) {
            sb.append(" failed: ").append(Errno.describe(errno));
        } else {
            sb.append(" refused");
        }
        if (!whatNext.isEmpty()) {
            sb.append(errno != 0 ? ". " : ": ").append(whatNext);
        }
        return sb.toString();
    }
}
