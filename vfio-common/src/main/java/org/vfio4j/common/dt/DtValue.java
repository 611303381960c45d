package org.vfio4j.common.dt;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The value of a device-tree property. The set of encodings is closed (Devicetree Specification
 * §2.2.4.2): nothing, 32-bit cells, 64-bit numbers, NUL-terminated strings, or raw bytes, so this is
 * a sealed interface and the writer switches over it exhaustively.
 *
 * <p>Phandle references live inside {@link Cells} (see {@link DtCell.Ref}) because real properties
 * mix them with numbers; a lone {@code <&label>} is a one-cell {@code Cells}.
 */
public sealed interface DtValue {

    /** A property with no value, e.g. {@code interrupt-controller;} or {@code dma-coherent;}. */
    record Empty() implements DtValue {
        @Override
        public String toString() {
            return "";
        }
    }

    /** Big-endian 32-bit cells, each a number or a phandle reference. */
    record Cells(List<DtCell> cells) implements DtValue {
        public Cells {
            cells = List.copyOf(cells);
        }

        /** Whether any cell is a phandle reference the writer must resolve. */
        public boolean hasReferences() {
            return cells.stream().anyMatch(c -> c instanceof DtCell.Ref);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("<");
            for (int i = 0; i < cells.size(); i++) {
                b.append(i == 0 ? "" : " ").append(cells.get(i));
            }
            return b.append('>').toString();
        }
    }

    /** Big-endian 64-bit numbers (written as two cells each, high word first). */
    record U64s(List<Long> values) implements DtValue {
        public U64s {
            values = List.copyOf(values);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("/bits/ 64 <");
            for (int i = 0; i < values.size(); i++) {
                b.append(i == 0 ? "" : " ").append("0x").append(Long.toHexString(values.get(i)));
            }
            return b.append('>').toString();
        }
    }

    /** A string list: each string written NUL-terminated, one after the other. */
    record Strings(List<String> strings) implements DtValue {
        public Strings {
            strings = List.copyOf(strings);
            if (strings.isEmpty()) {
                throw new IllegalArgumentException("a string list needs at least one string; use Empty for none");
            }
            for (String s : strings) {
                if (s.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("device-tree string contains NUL: " + s);
                }
            }
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < strings.size(); i++) {
                b.append(i == 0 ? "\"" : ", \"").append(strings.get(i)).append('"');
            }
            return b.toString();
        }
    }

    /** Raw bytes, copied in and out so the value stays immutable. */
    final class Bytes implements DtValue {
        private final byte[] bytes;

        public Bytes(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        /** A copy of the bytes. */
        public byte[] bytes() {
            return bytes.clone();
        }

        /** Number of bytes. */
        public int length() {
            return bytes.length;
        }

        @Override
        public boolean equals(@org.eclipse.jdt.annotation.Nullable Object o) {
            return o instanceof Bytes other && Arrays.equals(bytes, other.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "[" + HexFormat.ofDelimiter(" ").formatHex(bytes) + "]";
        }
    }
}
