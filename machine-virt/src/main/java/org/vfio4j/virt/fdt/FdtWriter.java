package org.vfio4j.virt.fdt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vfio4j.common.dt.DtEncoding;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;

/**
 * Writes a {@link DtNode} tree as a flattened device tree (DTB) with libfdt's sequential-write API.
 *
 * <p>Why a writer and not nodes that write themselves: phandles only exist for the whole tree.
 * The writer numbers every labelled node (1, 2, … in document order, so output is deterministic),
 * gives it a {@code phandle} property, and resolves each {@link org.vfio4j.common.dt.DtCell.Ref} to
 * that number. The blob starts at {@code initialSize} bytes and doubles when libfdt reports
 * {@code FDT_ERR_NOSPACE}, up to {@code maxSize} (2 MiB by default: the arm64 boot protocol's limit
 * for a DTB); any other libfdt error, or hitting the limit, is an {@link FdtException} and no bytes
 * are returned.
 *
 * {@snippet :
 * byte[] dtb = new FdtWriter().write(root);
 * }
 */
public final class FdtWriter {
    /** The arm64 boot protocol's maximum DTB size (Documentation/arch/arm64/booting.rst). */
    public static final int ARM64_MAX_DTB = 2 << 20;

    private final int initialSize;
    private final int maxSize;

    /** A writer starting at 64 KiB and allowed to grow to {@link #ARM64_MAX_DTB}. */
    public FdtWriter() {
        this(64 << 10, ARM64_MAX_DTB);
    }

    /** A writer with explicit sizes (tests use a tiny maximum to provoke {@code FDT_ERR_NOSPACE}). */
    public FdtWriter(int initialSize, int maxSize) {
        if (initialSize < 64 || maxSize < initialSize) {
            throw new IllegalArgumentException("need 64 <= initialSize <= maxSize, got " + initialSize + ", " + maxSize);
        }
        this.initialSize = initialSize;
        this.maxSize = maxSize;
    }

    /** The DTB for {@code root} (which must be the root node, name {@code ""}). */
    public byte[] write(DtNode root) {
        if (!root.name().isEmpty()) {
            throw new IllegalArgumentException("the tree to write must start at the root node, got '" + root.fullName() + "'");
        }
        Libfdt.requireLoaded();
        Map<String, Integer> phandles = allocatePhandles(root);
        int size = initialSize;
        while (true) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(size, 8);
                Session s = new Session(arena, buf, phandles);
                int rc = s.writeAll(root);
                if (rc == 0) {
                    int total = Libfdt.fdt_totalsize(buf);
                    return buf.asSlice(0, total).toArray(ValueLayout.JAVA_BYTE);
                }
                if (rc != -Libfdt.FDT_ERR_NOSPACE() || size >= maxSize) {
                    String where = s.failedAt;
                    if (rc == -Libfdt.FDT_ERR_NOSPACE()) {
                        where += " (blob at its maximum of " + maxSize + " bytes; the tree is too large)";
                    }
                    throw FdtException.fromLibfdt(where, rc, strerror(rc));
                }
                size = (int) Math.min((long) size * 2, maxSize);
            }
        }
    }

    /** {@code fdt_strerror(rc)} as a Java string. */
    static String strerror(int rc) {
        MemorySegment msg = Libfdt.fdt_strerror(rc);
        return msg.equals(MemorySegment.NULL) ? "error " + rc : msg.reinterpret(256).getString(0);
    }

    /** Label → phandle, numbered in document order; duplicate labels or explicit phandles fail. */
    static Map<String, Integer> allocatePhandles(DtNode root) {
        Map<String, Integer> out = new LinkedHashMap<>();
        Map<String, String> where = new HashMap<>();
        List<DtNode> stack = new ArrayList<>(List.of(root));
        List<String> paths = new ArrayList<>(List.of("/"));
        while (!stack.isEmpty()) {
            DtNode n = stack.removeFirst();
            String path = paths.removeFirst();
            if (n.property("phandle").isPresent()) {
                throw new FdtException(path + " sets 'phandle' itself; give the node a label and reference it instead");
            }
            String label = n.label();
            if (label != null) {
                String prev = where.put(label, path);
                if (prev != null) {
                    throw new FdtException("label '" + label + "' is used by both " + prev + " and " + path);
                }
                out.put(label, out.size() + 1);
            }
            for (int i = n.children().size() - 1; i >= 0; i--) {
                DtNode c = n.children().get(i);
                stack.addFirst(c);
                paths.addFirst((path.equals("/") ? "/" : path + "/") + c.fullName());
            }
        }
        return out;
    }

    /** One attempt at a given buffer size. */
    private static final class Session {
        private final Arena arena;
        private final MemorySegment fdt;
        private final Map<String, Integer> phandles;
        String failedAt = "fdt_create";

        Session(Arena arena, MemorySegment fdt, Map<String, Integer> phandles) {
            this.arena = arena;
            this.fdt = fdt;
            this.phandles = phandles;
        }

        int writeAll(DtNode root) {
            int rc = Libfdt.fdt_create(fdt, (int) fdt.byteSize());
            if (rc < 0) {
                return rc;
            }
            failedAt = "fdt_finish_reservemap";
            rc = Libfdt.fdt_finish_reservemap(fdt);
            if (rc < 0) {
                return rc;
            }
            rc = node(root, "/");
            if (rc < 0) {
                return rc;
            }
            failedAt = "fdt_finish";
            rc = Libfdt.fdt_finish(fdt);
            if (rc < 0) {
                return rc;
            }
            failedAt = "fdt_check_header on the finished blob";
            return Libfdt.fdt_check_header(fdt);
        }

        private int node(DtNode n, String path) {
            failedAt = "fdt_begin_node(" + path + ")";
            int rc = Libfdt.fdt_begin_node(fdt, arena.allocateFrom(n.fullName()));
            if (rc < 0) {
                return rc;
            }
            for (DtProperty p : n.properties()) {
                byte[] value = DtEncoding.encode(p.value(), label -> resolve(label, p, path));
                rc = property(p.name(), value, path);
                if (rc < 0) {
                    return rc;
                }
            }
            String label = n.label();
            if (label != null) {
                int ph = phandles.getOrDefault(label, 0);
                rc = property("phandle", new byte[] {(byte) (ph >>> 24), (byte) (ph >>> 16), (byte) (ph >>> 8), (byte) ph}, path);
                if (rc < 0) {
                    return rc;
                }
            }
            for (DtNode c : n.children()) {
                rc = node(c, (path.equals("/") ? "/" : path + "/") + c.fullName());
                if (rc < 0) {
                    return rc;
                }
            }
            failedAt = "fdt_end_node(" + path + ")";
            return Libfdt.fdt_end_node(fdt);
        }

        private int property(String name, byte[] value, String path) {
            failedAt = "fdt_property(" + name + ") in " + path;
            // libfdt copies len bytes from val; give it a valid pointer even for an empty property.
            MemorySegment v = value.length == 0 ? arena.allocate(1) : arena.allocateFrom(ValueLayout.JAVA_BYTE, value);
            return Libfdt.fdt_property(fdt, arena.allocateFrom(name), v, value.length);
        }

        private int resolve(String label, DtProperty p, String path) {
            Integer ph = phandles.get(label);
            if (ph == null) {
                throw new FdtException("property '" + p.name() + "' of " + path + " references &" + label
                        + ", but no node has label '" + label + "' (labels: " + phandles.keySet() + ")");
            }
            return ph;
        }
    }
}
