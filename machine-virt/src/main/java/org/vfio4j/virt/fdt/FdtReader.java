package org.vfio4j.virt.fdt;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;

/**
 * Reads a DTB into {@link DtNode}s through libfdt's read-only API; every property value comes back
 * as {@link org.vfio4j.common.dt.DtValue.Bytes} (the blob does not say how a value was typed) and
 * {@code phandle} stays an ordinary property.
 *
 * <p>Why: to compare our tree with QEMU's node by node in tests, and to check what a written blob
 * really contains (not what we meant to write).
 */
public final class FdtReader {
    private FdtReader() {
    }

    /** Parses {@code dtb}; a blob libfdt rejects raises an {@link FdtException} naming the reason. */
    public static DtNode read(byte[] dtb) {
        Libfdt.requireLoaded();
        if (dtb.length < Libfdt.fdt_header.byteSize()) {
            throw new FdtException("not a device-tree blob: " + dtb.length + " bytes is shorter than its header");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fdt = arena.allocate(dtb.length, 8);
            fdt.copyFrom(MemorySegment.ofArray(dtb));
            int rc = Libfdt.fdt_check_header(fdt);
            if (rc < 0) {
                throw FdtException.fromLibfdt("fdt_check_header", rc, FdtWriter.strerror(rc));
            }
            if (Integer.toUnsignedLong(Libfdt.fdt_totalsize(fdt)) > dtb.length) {
                throw new FdtException("device-tree blob is truncated: header says " + Libfdt.fdt_totalsize(fdt)
                        + " bytes, have " + dtb.length);
            }
            return new Walk(arena, fdt).node(0, "/");
        }
    }

    private record Walk(Arena arena, MemorySegment fdt) {
        DtNode node(int offset, String path) {
            MemorySegment len = arena.allocate(JAVA_INT);
            MemorySegment namePtr = Libfdt.fdt_get_name(fdt, offset, len);
            if (namePtr.equals(MemorySegment.NULL)) {
                int rc = len.get(JAVA_INT, 0);
                throw FdtException.fromLibfdt("fdt_get_name at " + path, rc, FdtWriter.strerror(rc));
            }
            String full = namePtr.reinterpret(len.get(JAVA_INT, 0) + 1L).getString(0);
            String here = offset == 0 ? "/" : path + full;
            int at = full.indexOf('@');
            DtNode.Builder b = DtNode.builder(at < 0 ? full : full.substring(0, at));
            if (at >= 0) {
                b.unitAddress(full.substring(at + 1));
            }
            int prop = Libfdt.fdt_first_property_offset(fdt, offset);
            MemorySegment nameOut = arena.allocate(ADDRESS);
            while (prop >= 0) {
                MemorySegment value = Libfdt.fdt_getprop_by_offset(fdt, prop, nameOut, len);
                int n = len.get(JAVA_INT, 0);
                if (value.equals(MemorySegment.NULL)) {
                    throw FdtException.fromLibfdt("fdt_getprop_by_offset in " + here, n, FdtWriter.strerror(n));
                }
                String name = nameOut.get(ADDRESS, 0).reinterpret(256).getString(0);
                b.property(DtProperty.bytes(name, value.reinterpret(n).toArray(JAVA_BYTE)));
                prop = Libfdt.fdt_next_property_offset(fdt, prop);
            }
            end(prop, "properties of " + here);
            int child = Libfdt.fdt_first_subnode(fdt, offset);
            while (child >= 0) {
                DtNode c = node(child, here.endsWith("/") ? here : here + "/");
                b.child(c);
                child = Libfdt.fdt_next_subnode(fdt, child);
            }
            end(child, "children of " + here);
            return b.build();
        }

        private void end(int rc, String what) {
            if (rc != -Libfdt.FDT_ERR_NOTFOUND()) {
                throw FdtException.fromLibfdt("walking " + what, rc, FdtWriter.strerror(rc));
            }
        }
    }
}
