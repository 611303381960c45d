package org.vfio4j.common;

/** Small guards shared by the classes of this package (no public API). */
final class Check {
    private Check() {
    }

    /** Throws the IllegalStateException every closed vfio4j object gives when used. */
    static void open(boolean closed, Object what) {
        if (closed) {
            throw new IllegalStateException(what + " is closed; open a new one");
        }
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
