package org.vfio4j.common.dt;

import java.util.Objects;

/**
 * One 32-bit cell of a {@link DtValue.Cells} value: a number, or a reference to a labelled node
 * whose phandle the writer fills in.
 *
 * <p>Why cells and not plain ints: properties such as {@code interrupt-map}, {@code msi-map} or
 * {@code clocks} mix numbers with phandles, and a device cannot know phandle numbers, which only
 * exist once the whole tree is assembled. It names the node by label instead.
 */
public sealed interface DtCell {

    /** A plain 32-bit number (unsigned in the tree; stored as a Java {@code int}). */
    record Num(int value) implements DtCell {
        @Override
        public String toString() {
            return "0x" + Integer.toHexString(value);
        }
    }

    /**
     * A phandle reference to the node carrying {@code label} (see {@link DtNode#label()}); the writer
     * allocates the phandle and fails clearly if no node has that label.
     */
    record Ref(String label) implements DtCell {
        public Ref {
            Objects.requireNonNull(label, "label");
            if (!DtNames.isLabel(label)) {
                throw new IllegalArgumentException("invalid phandle label '" + label
                        + "': use letters, digits and '_' and start with a letter or '_'");
            }
        }

        @Override
        public String toString() {
            return "&" + label;
        }
    }

    /** A number cell. */
    static DtCell num(int value) {
        return new Num(value);
    }

    /** A phandle reference cell. */
    static DtCell ref(String label) {
        return new Ref(label);
    }
}
