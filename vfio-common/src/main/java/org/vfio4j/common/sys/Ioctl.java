package org.vfio4j.common.sys;

/**
 * The Linux ioctl request encoding ({@code _IOC} from asm-generic/ioctl.h, used by x86_64 and arm64):
 * {@code dir << 30 | size << 16 | type << 8 | nr}.
 *
 * <p>Why computed rather than hard-coded: VFIO's requests are all {@code _IO(';', 100 + n)} and KVM's mix
 * {@code _IO}, {@code _IOW} and {@code _IOWR} with struct sizes; deriving them from the same layouts the
 * calls pass keeps the number and the struct in step. The unit test compares every value with the C macros.
 */
public final class Ioctl {
    public static final int NONE = 0, WRITE = 1, READ = 2;

    private Ioctl() {
    }

    /** {@code _IOC(dir, type, nr, size)}. */
    public static long ioc(int dir, int type, int nr, long size) {
        if (size < 0 || size >= (1 << 14)) {
            throw new IllegalArgumentException("ioctl argument size " + size + " does not fit the 14-bit size field");
        }
        return ((long) dir << 30 | size << 16 | (long) (type & 0xff) << 8 | (nr & 0xff)) & 0xffff_ffffL;
    }

    /** {@code _IO(type, nr)}. */
    public static long io(int type, int nr) {
        return ioc(NONE, type, nr, 0);
    }

    /** {@code _IOW(type, nr, size)}: user space writes the argument. */
    public static long iow(int type, int nr, long size) {
        return ioc(WRITE, type, nr, size);
    }

    /** {@code _IOR(type, nr, size)}: the kernel writes the argument. */
    public static long ior(int type, int nr, long size) {
        return ioc(READ, type, nr, size);
    }

    /** {@code _IOWR(type, nr, size)}. */
    public static long iowr(int type, int nr, long size) {
        return ioc(READ | WRITE, type, nr, size);
    }
}
