package org.vfio4j.common.dt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class DtNodeTest {

    @Test
    void buildsFindsAndRendersNodes() {
        DtNode its = DtNode.builder("its").unitAddress(0x8080000L).label("its")
                .property(DtProperty.empty("msi-controller")).build();
        DtNode root = DtNode.root()
                .property(DtProperty.strings("compatible", "linux,dummy-virt"))
                .child(DtNode.builder("intc").unitAddress(0x8000000L).child(its).build())
                .build();
        assertEquals("its@8080000", root.find("/intc@8000000/its@8080000").orElseThrow().fullName());
        assertTrue(root.find("/intc@8000000/nope").isEmpty());
        assertTrue(root.toString().contains("its: its@8080000 {"), root.toString());
        assertEquals("compatible = \"linux,dummy-virt\";", root.property("compatible").orElseThrow().toString());
    }

    @Test
    void rejectsWhatTheSpecificationForbids() {
        assertThrows(IllegalArgumentException.class, () -> DtNode.builder("bad name").build());
        assertThrows(IllegalArgumentException.class, () -> DtNode.builder("x").unitAddress("").build());
        assertThrows(IllegalArgumentException.class, () -> DtNode.builder("x").label("1abc").build());
        assertThrows(IllegalArgumentException.class, () -> DtProperty.empty("has space"));
        assertThrows(IllegalArgumentException.class, () -> DtProperty.strings("s", "a\0b"));
        IllegalArgumentException dupProp = assertThrows(IllegalArgumentException.class, () -> DtNode.builder("n")
                .property(DtProperty.u32("reg", 1)).property(DtProperty.u32("reg", 2)).build());
        assertTrue(dupProp.getMessage().contains("'reg' twice"), dupProp.getMessage());
        DtNode child = DtNode.builder("c").unitAddress(1).build();
        assertThrows(IllegalArgumentException.class, () -> DtNode.builder("n").child(child).child(child).build());
        assertThrows(IllegalArgumentException.class, () -> DtProperty.addressCells("reg", new int[] {1}, 1L << 32));
    }

    @Test
    void encodesEveryValueKindBigEndian() {
        Map<String, Integer> phandles = Map.of("gic", 0x8003);
        assertArrayEquals(new byte[0], DtEncoding.encode(DtProperty.empty("e").value(), phandles::get));
        assertArrayEquals(new byte[] {0, 0, 0, 1, 0, 0, (byte) 0x80, 3},
                DtEncoding.encode(DtProperty.cells("c", List.of(DtCell.num(1), DtCell.ref("gic"))).value(), phandles::get));
        assertArrayEquals(new byte[] {0, 0, 0, 0x40, 0x10, 0, 0, 0},
                DtEncoding.encode(DtProperty.u64("u", 0x40_1000_0000L).value(), phandles::get));
        assertArrayEquals(new byte[] {'a', 0, 'b', 'c', 0},
                DtEncoding.encode(DtProperty.strings("s", "a", "bc").value(), phandles::get));
        assertArrayEquals(new int[] {0, 0x40000000, 0, 0x20000000},
                DtEncoding.cells(DtEncoding.encode(DtProperty.addressCells("reg", new int[] {2, 2},
                        0x4000_0000L, 0x2000_0000L).value(), phandles::get)));
        assertEquals(List.of("a", "bc"), DtEncoding.strings(new byte[] {'a', 0, 'b', 'c', 0}));
        assertEquals(new DtValue.Bytes(new byte[] {1, 2}), new DtValue.Bytes(new byte[] {1, 2}));
    }

    @Test
    void withReplacesInPlaceOrAppendsAndWithoutRemoves() {
        DtNode n = DtNode.builder("ethernet").unitAddress(0x1000L)
                .property(DtProperty.strings("compatible", "generic"))
                .property(DtProperty.u32("reg", 0x1000, 0x1000))
                .build();
        DtNode x = n.with(DtProperty.strings("compatible", "calxeda,hb-xgmac")).with(DtProperty.empty("dma-coherent"));
        assertEquals(List.of("compatible", "reg", "dma-coherent"), x.properties().stream().map(DtProperty::name).toList());
        assertEquals("compatible = \"calxeda,hb-xgmac\";", x.property("compatible").orElseThrow().toString());
        assertEquals(List.of("compatible", "dma-coherent"), x.without("reg").properties().stream().map(DtProperty::name).toList());
        assertEquals(n, n.without("absent"));
        assertEquals("ethernet@1000", x.fullName());
    }
}
