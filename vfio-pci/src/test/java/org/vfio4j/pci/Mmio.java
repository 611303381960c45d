package org.vfio4j.pci;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Volatile, width-exact accesses to device memory (a mapped BAR must not see split or hoisted accesses). */
final class Mmio {
    private static final VarHandle B = ValueLayout.JAVA_BYTE.varHandle();
    private static final VarHandle S = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle I = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle L = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private Mmio() {}

    static long read(MemorySegment s, long off, int width) {
        return switch (width) {
            case 1 -> Byte.toUnsignedLong((byte) B.getVolatile(s, off));
            case 2 -> Short.toUnsignedLong((short) S.getVolatile(s, off));
            case 4 -> Integer.toUnsignedLong((int) I.getVolatile(s, off));
            case 8 -> (long) L.getVolatile(s, off);
            default -> throw new IllegalArgumentException("width " + width);
        };
    }

    static void write(MemorySegment s, long off, int width, long v) {
        switch (width) {
            case 1 -> B.setVolatile(s, off, (byte) v);
            case 2 -> S.setVolatile(s, off, (short) v);
            case 4 -> I.setVolatile(s, off, (int) v);
            case 8 -> L.setVolatile(s, off, v);
            default -> throw new IllegalArgumentException("width " + width);
        }
    }
}
