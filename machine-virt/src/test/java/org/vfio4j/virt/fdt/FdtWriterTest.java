package org.vfio4j.virt.fdt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.dt.DtCell;
import org.vfio4j.common.dt.DtEncoding;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.common.dt.DtValue;

/** The libfdt binding: round trips, phandle resolution, growth, and errors as clear exceptions. */
class FdtWriterTest {

    /** A root with {@code n} nodes of a 1 KiB property each, and a reference to a labelled node. */
    private static DtNode tree(int n) {
        List<DtNode> kids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            kids.add(DtNode.builder("blob").unitAddress(i).property(DtProperty.bytes("data", new byte[1024])).build());
        }
        return DtNode.root()
                .property(DtProperty.u32("#address-cells", 2))
                .property(DtProperty.phandle("interrupt-parent", "gic"))
                .child(DtNode.builder("intc").unitAddress(0x8000000L).label("gic").property(DtProperty.empty("interrupt-controller")).build())
                .children(kids)
                .build();
    }

    private static byte[] raw(DtNode root, String path, String prop) {
        return ((DtValue.Bytes) root.find(path).orElseThrow().property(prop).orElseThrow().value()).bytes();
    }

    @Test
    void roundTripResolvesPhandles() {
        DtNode root = DtNode.root()
                .property(DtProperty.strings("compatible", "a,b", "c"))
                .property(DtProperty.u64("big", 0x40_1000_0000L))
                .child(DtNode.builder("clk").label("clk").build())
                .child(DtNode.builder("dev").unitAddress(0x1000L)
                        .property(DtProperty.cells("clocks", List.of(DtCell.ref("clk"), DtCell.num(7), DtCell.ref("clk"))))
                        .property(DtProperty.empty("dma-coherent")).build())
                .build();
        DtNode back = FdtReader.read(new FdtWriter().write(root));
        assertEquals(List.of("a,b", "c"), DtEncoding.strings(raw(back, "/", "compatible")));
        assertArrayEquals(new int[] {0x40, 0x10000000}, DtEncoding.cells(raw(back, "/", "big")));
        assertArrayEquals(new int[] {1}, DtEncoding.cells(raw(back, "/clk", "phandle")));
        assertArrayEquals(new int[] {1, 7, 1}, DtEncoding.cells(raw(back, "/dev@1000", "clocks")));
        assertEquals(0, raw(back, "/dev@1000", "dma-coherent").length);
    }

    @Test
    void growsTheBlobUntilTheTreeFits() {
        DtNode big = tree(200); // ~200 KiB, far beyond the 64-byte first attempt
        byte[] grown = new FdtWriter(64, 1 << 20).write(big);
        assertArrayEquals(new FdtWriter().write(big), grown);
        assertEquals(200 + 1, FdtReader.read(grown).children().size());
    }

    @Test
    void aFullBlobIsAClearExceptionNotCorruptOutput() {
        FdtException e = assertThrows(FdtException.class, () -> new FdtWriter(4096, 8192).write(tree(16)));
        assertEquals(Libfdt.FDT_ERR_NOSPACE(), e.libfdtError());
        assertTrue(e.getMessage().contains("FDT_ERR_NOSPACE (the blob buffer is too small)"), e.getMessage());
        assertTrue(e.getMessage().contains("blob at its maximum of 8192 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("fdt_property(data) in /blob@"), e.getMessage());
    }

    @Test
    void aDanglingReferenceNamesTheLabel() {
        DtNode root = DtNode.root().property(DtProperty.phandle("interrupt-parent", "nogic")).build();
        FdtException e = assertThrows(FdtException.class, () -> new FdtWriter().write(root));
        assertTrue(e.getMessage().contains("property 'interrupt-parent' of / references &nogic"), e.getMessage());
    }

    @Test
    void duplicateLabelsAndHandWrittenPhandlesAreRefused() {
        DtNode dup = DtNode.root().child(DtNode.builder("a").label("x").build()).child(DtNode.builder("b").label("x").build()).build();
        assertTrue(assertThrows(FdtException.class, () -> new FdtWriter().write(dup)).getMessage()
                .contains("label 'x' is used by both /a and /b"));
        DtNode hand = DtNode.root().child(DtNode.builder("a").property(DtProperty.u32("phandle", 5)).build()).build();
        assertTrue(assertThrows(FdtException.class, () -> new FdtWriter().write(hand)).getMessage().contains("/a sets 'phandle' itself"));
    }

    @Test
    void readingSomethingThatIsNotADtbFailsWithLibfdtsReason() {
        FdtException e = assertThrows(FdtException.class, () -> FdtReader.read(new byte[64]));
        assertEquals(Libfdt.FDT_ERR_BADMAGIC(), e.libfdtError());
        assertTrue(e.getMessage().contains("FDT_ERR_BADMAGIC"), e.getMessage());
        byte[] good = new FdtWriter().write(tree(1));
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 100);
        assertThrows(FdtException.class, () -> FdtReader.read(cut));
    }

    @Test
    void headerTotalsizeMatchesTheBlob() {
        byte[] blob = new FdtWriter().write(tree(2));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var seg = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, blob);
            assertEquals(blob.length, Libfdt.fdt_totalsize(seg));
            assertEquals(0, Libfdt.fdt_check_header(seg));
        }
    }

    @Test
    void openIntoABiggerBufferAndPackBackToTheSameTree() {
        byte[] blob = new FdtWriter().write(tree(3));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var src = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, blob);
            var big = arena.allocate(blob.length + 4096L, 8);
            assertEquals(0, Libfdt.fdt_open_into(src, big, (int) big.byteSize()));
            assertEquals(blob.length + 4096, Libfdt.fdt_totalsize(big));
            assertEquals(0, Libfdt.fdt_pack(big));
            int packed = Libfdt.fdt_totalsize(big);
            assertTrue(packed <= blob.length, packed + " > " + blob.length);
            assertEquals(FdtReader.read(blob), FdtReader.read(big.asSlice(0, packed).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            var tiny = arena.allocate(64, 8);
            int rc = Libfdt.fdt_open_into(src, tiny, 64);
            assertEquals(-Libfdt.FDT_ERR_NOSPACE(), rc);
            assertEquals("FDT_ERR_NOSPACE", FdtWriter.strerror(rc));
        }
    }
}
