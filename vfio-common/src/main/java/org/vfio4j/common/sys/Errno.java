package org.vfio4j.common.sys;

import java.util.Map;

/**
 * errno values as names and words, so a failure reads {@code EBUSY (Device or resource busy)} rather than
 * {@code -16}.
 *
 * <p>Why a table: C has no function for the symbolic name, and the person at the terminal searches the
 * kernel source and the web for {@code EBUSY}, not for 16. The words come from the C library's
 * {@code strerror}. Values are the asm-generic ones shared by x86_64 and arm64.
 */
public final class Errno {
    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
            EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
            ENODEV = 19, ENOTDIR = 20, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25, ENOSPC = 28,
            ESPIPE = 29, ERANGE = 34, ENOSYS = 38, EMSGSIZE = 90, EOPNOTSUPP = 95, EADDRINUSE = 98;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(3, "ESRCH"), Map.entry(4, "EINTR"),
            Map.entry(5, "EIO"), Map.entry(6, "ENXIO"), Map.entry(7, "E2BIG"), Map.entry(8, "ENOEXEC"),
            Map.entry(9, "EBADF"), Map.entry(10, "ECHILD"), Map.entry(11, "EAGAIN"), Map.entry(12, "ENOMEM"),
            Map.entry(13, "EACCES"), Map.entry(14, "EFAULT"), Map.entry(15, "ENOTBLK"), Map.entry(16, "EBUSY"),
            Map.entry(17, "EEXIST"), Map.entry(18, "EXDEV"), Map.entry(19, "ENODEV"), Map.entry(20, "ENOTDIR"),
            Map.entry(21, "EISDIR"), Map.entry(22, "EINVAL"), Map.entry(23, "ENFILE"), Map.entry(24, "EMFILE"),
            Map.entry(25, "ENOTTY"), Map.entry(26, "ETXTBSY"), Map.entry(27, "EFBIG"), Map.entry(28, "ENOSPC"),
            Map.entry(29, "ESPIPE"), Map.entry(30, "EROFS"), Map.entry(31, "EMLINK"), Map.entry(32, "EPIPE"),
            Map.entry(33, "EDOM"), Map.entry(34, "ERANGE"), Map.entry(35, "EDEADLK"), Map.entry(36, "ENAMETOOLONG"),
            Map.entry(37, "ENOLCK"), Map.entry(38, "ENOSYS"), Map.entry(39, "ENOTEMPTY"), Map.entry(40, "ELOOP"),
            Map.entry(61, "ENODATA"), Map.entry(62, "ETIME"), Map.entry(75, "EOVERFLOW"),
            Map.entry(90, "EMSGSIZE"), Map.entry(95, "EOPNOTSUPP"), Map.entry(98, "EADDRINUSE"),
            Map.entry(110, "ETIMEDOUT"), Map.entry(122, "EDQUOT"));

    private Errno() {
    }

    /** The symbolic name ({@code "EBUSY"}), or {@code "errno N"} for values outside the table. */
    public static String name(int errno) {
        String n = NAMES.get(errno);
        return n != null ? n : "errno " + errno;
    }

    /** The C library's words for the value ({@code "Device or resource busy"}). */
    public static String text(int errno) {
        return Native.strerror(errno);
    }

    /** Name and words together: {@code "EBUSY (Device or resource busy)"}. */
    public static String describe(int errno) {
        return name(errno) + " (" + text(errno) + ")";
    }
}
