package org.vfio4j.common.sys;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Helpers for deriving field accessors once from a layout.
 *
 * <p>Why: {@link MemoryLayout#varHandle} returns a handle with a trailing base-offset coordinate; binding it
 * to 0 here lets the struct classes expose plain {@code (segment)} accessors, derived a single time in a
 * static initialiser as the FFM documentation recommends.
 */
public final class Layouts {
    private Layouts() {
    }

    /** A {@code (MemorySegment)} VarHandle for the field at {@code path} (dotted for nested structs). */
    public static VarHandle field(MemoryLayout layout, String path) {
        String[] parts = path.split("\\.");
        PathElement[] elems = new PathElement[parts.length];
        for (int i = 0; i < parts.length; i++) {
            elems[i] = PathElement.groupElement(parts[i]);
        }
        return MethodHandles.insertCoordinates(layout.varHandle(elems), 1, 0L);
    }

    /** The byte offset of the field at {@code path}. */
    public static long offset(MemoryLayout layout, String path) {
        String[] parts = path.split("\\.");
        PathElement[] elems = new PathElement[parts.length];
        for (int i = 0; i < parts.length; i++) {
            elems[i] = PathElement.groupElement(parts[i]);
        }
        return layout.byteOffset(elems);
    }
}
