package org.vfio4j.common.dt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One device-tree property: a name and a {@link DtValue}.
 *
 * <p>Why the factories: the common shapes ({@code reg} with 2+2 cells, {@code interrupts} triples,
 * {@code compatible} lists) are written by every device; spelling them once here keeps each device's
 * node a few readable lines, e.g.
 * {@snippet :
 * DtNode node = DtNode.builder("ethernet").unitAddress(0xc000000L)
 *         .property(DtProperty.strings("compatible", "calxeda,hb-xgmac"))
 *         .property(DtProperty.u32("reg", 0xc000000, 0x1000))
 *         .property(DtProperty.u32("interrupts", 0, 112, 4))
 *         .property(DtProperty.empty("dma-coherent"))
 *         .build();
 * }
 */
public record DtProperty(String name, DtValue value) {

    public DtProperty {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (!DtNames.isPropertyName(name)) {
            throw new IllegalArgumentException("invalid device-tree property name '" + name
                    + "': 1 to 31 of 0-9 a-z A-Z , . _ + ? # -");
        }
    }

    /** A property without a value ({@code name;}). */
    public static DtProperty empty(String name) {
        return new DtProperty(name, new DtValue.Empty());
    }

    /** A property of 32-bit number cells ({@code name = <a b c>;}). */
    public static DtProperty u32(String name, int... cells) {
        List<DtCell> list = new ArrayList<>(cells.length);
        for (int c : cells) {
            list.add(new DtCell.Num(c));
        }
        return new DtProperty(name, new DtValue.Cells(list));
    }

    /** A property of mixed cells (numbers and phandle references). */
    public static DtProperty cells(String name, List<DtCell> cells) {
        return new DtProperty(name, new DtValue.Cells(cells));
    }

    /** A single phandle reference ({@code name = <&label>;}). */
    public static DtProperty phandle(String name, String label) {
        return new DtProperty(name, new DtValue.Cells(List.of(new DtCell.Ref(label))));
    }

    /** 64-bit numbers ({@code name = /bits/ 64 <a b>;}). */
    public static DtProperty u64(String name, long... values) {
        return new DtProperty(name, new DtValue.U64s(Arrays.stream(values).boxed().toList()));
    }

    /** A string or string list ({@code name = "a", "b";}). */
    public static DtProperty strings(String name, String... strings) {
        return new DtProperty(name, new DtValue.Strings(List.of(strings)));
    }

    /** Raw bytes ({@code name = [00 11];}). */
    public static DtProperty bytes(String name, byte[] bytes) {
        return new DtProperty(name, new DtValue.Bytes(bytes));
    }

    /**
     * Address/size pairs in the given cell counts, the shape of {@code reg} and {@code ranges}
     * entries: each long is split into {@code cellsPerValue} big-endian cells.
     *
     * @param cellsPerValue cell count for each value, cycling (e.g. {2, 2} for a {@code reg} under a
     *                      parent with {@code #address-cells = 2} and {@code #size-cells = 2})
     */
    public static DtProperty addressCells(String name, int[] cellsPerValue, long... values) {
        if (cellsPerValue.length == 0 || values.length % cellsPerValue.length != 0) {
            throw new IllegalArgumentException(name + ": " + values.length + " values do not fill whole "
                    + cellsPerValue.length + "-value entries");
        }
        List<DtCell> cells = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            int n = cellsPerValue[i % cellsPerValue.length];
            long v = values[i];
            if (n < 1 || n > 2) {
                throw new IllegalArgumentException(name + ": cell count " + n + " (only 1 or 2 supported)");
            }
            if (n == 1 && (v >>> 32) != 0) {
                throw new IllegalArgumentException(name + ": value 0x" + Long.toHexString(v) + " does not fit one cell");
            }
            if (n == 2) {
                cells.add(new DtCell.Num((int) (v >>> 32)));
            }
            cells.add(new DtCell.Num((int) v));
        }
        return new DtProperty(name, new DtValue.Cells(cells));
    }

    @Override
    public String toString() {
        return value instanceof DtValue.Empty ? name + ";" : name + " = " + value + ";";
    }
}
