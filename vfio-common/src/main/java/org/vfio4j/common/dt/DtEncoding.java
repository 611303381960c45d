package org.vfio4j.common.dt;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.ToIntFunction;

/**
 * The flattened-tree encoding of property values (Devicetree Specification §2.2.4.2): big-endian
 * cells and 64-bit numbers, NUL-terminated strings, bytes as they are.
 *
 * <p>Why separate from the writer: the encoding is a fact of the format, not of libfdt; tests and
 * devices can check what a value turns into without any native code.
 */
public final class DtEncoding {
    private DtEncoding() {
    }

    /**
     * Encodes a value.
     *
     * @param phandleOf gives the phandle of the node with a label; called once per reference cell
     *                  (it should throw, naming the label, if no node has it)
     */
    public static byte[] encode(DtValue value, ToIntFunction<String> phandleOf) {
        return switch (value) {
            case DtValue.Empty e -> new byte[0];
            case DtValue.Cells c -> {
                ByteBuffer b = ByteBuffer.allocate(4 * c.cells().size());
                for (DtCell cell : c.cells()) {
                    b.putInt(switch (cell) {
                        case DtCell.Num n -> n.value();
                        case DtCell.Ref r -> phandleOf.applyAsInt(r.label());
                    });
                }
                yield b.array();
            }
            case DtValue.U64s u -> {
                ByteBuffer b = ByteBuffer.allocate(8 * u.values().size());
                u.values().forEach(b::putLong);
                yield b.array();
            }
            case DtValue.Strings s -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (String str : s.strings()) {
                    out.writeBytes(str.getBytes(StandardCharsets.UTF_8));
                    out.write(0);
                }
                yield out.toByteArray();
            }
            case DtValue.Bytes b -> b.bytes();
        };
    }

    /** Reads big-endian 32-bit cells; fails if the length is not a multiple of 4. */
    public static int[] cells(byte[] raw) {
        if (raw.length % 4 != 0) {
            throw new IllegalArgumentException("a cell value must be a multiple of 4 bytes, got " + raw.length);
        }
        int[] cells = new int[raw.length / 4];
        ByteBuffer.wrap(raw).asIntBuffer().get(cells);
        return cells;
    }

    /** Reads a NUL-separated string list; fails if the value is not NUL-terminated. */
    public static java.util.List<String> strings(byte[] raw) {
        if (raw.length == 0 || raw[raw.length - 1] != 0) {
            throw new IllegalArgumentException("a string value must end with NUL");
        }
        return java.util.List.of(new String(raw, 0, raw.length - 1, StandardCharsets.UTF_8).split("\0", -1));
    }
}
