package org.vfio4j.platform;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.eclipse.jdt.annotation.Nullable;

/**
 * A host device-tree node as the kernel exports it under {@code /sys/firmware/devicetree/base} (one file per
 * property, raw big-endian bytes), reached through a device's {@code of_node} link.
 *
 * <p>Why read the host's tree: VFIO says how many regions and IRQs a platform device has, but not its
 * {@code compatible}, nor whether a line is edge or level before it is enabled; the host node says both,
 * without opening the device, so a guest's node can be written (dumpdtb) on a host where VFIO is not usable.
 */
final class OfNode {
    /** The GIC's three cells, assumed when no interrupt parent can be found (every arm64 SoC's GIC uses 3). */
    static final int DEFAULT_INTERRUPT_CELLS = 3;

    private final Path dir;

    OfNode(Path dir) {
        this.dir = dir;
    }

    /** The node's directory (the resolved of_node). */
    Path dir() {
        return dir;
    }

    /** Raw bytes of a property, empty when absent. */
    Optional<byte[]> raw(String property) {
        Path p = dir.resolve(property);
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new PlatformSetupException("cannot read " + p + ": " + e.getMessage());
        }
    }

    /** A NUL-separated string list property ({@code compatible}), empty when absent. */
    List<String> strings(String property) {
        byte[] b = raw(property).orElse(new byte[0]);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                if (i > start) {
                    out.add(new String(b, start, i - start, StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        if (start < b.length) {
            out.add(new String(b, start, b.length - start, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** A property as big-endian 32-bit cells, empty when absent. */
    int[] cells(String property) {
        byte[] b = raw(property).orElse(new byte[0]);
        ByteBuffer buf = ByteBuffer.wrap(b);
        int[] out = new int[b.length / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = buf.getInt();
        }
        return out;
    }

    /** A single-cell property of this node, or {@code fallback}. */
    int u32(String property, int fallback) {
        int[] c = cells(property);
        return c.length == 0 ? fallback : c[0];
    }

    /** The parent node, or null at the root of the exported tree. */
    @Nullable OfNode parent() {
        Path p = dir.getParent();
        return p == null || !Files.isDirectory(p) || dir.getFileName().toString().equals("base") ? null : new OfNode(p);
    }

    /** The sizes of the {@code reg} entries, using the parent's {@code #address-cells}/{@code #size-cells}. */
    List<Long> regSizes() {
        OfNode parent = parent();
        int ac = parent == null ? 2 : parent.u32("#address-cells", 2);
        int sc = parent == null ? 1 : parent.u32("#size-cells", 1);
        int[] c = cells("reg");
        int per = ac + sc;
        if (per == 0 || c.length % per != 0) {
            throw new PlatformSetupException(dir + "/reg has " + c.length + " cells, not a multiple of #address-cells "
                    + ac + " + #size-cells " + sc);
        }
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i < c.length; i += per) {
            long size = 0;
            for (int j = 0; j < sc; j++) {
                size = (size << 32) | Integer.toUnsignedLong(c[i + ac + j]);
            }
            sizes.add(size);
        }
        return sizes;
    }

    /**
     * The trigger of each entry of {@code interrupts}, decoded with the interrupt parent's
     * {@code #interrupt-cells} (the flags are the last cell of an entry, as the GIC and most controllers put them).
     */
    List<HostTrigger> interruptTriggers() {
        int[] c = cells("interrupts");
        if (c.length == 0) {
            return List.of();
        }
        int per = interruptCells();
        if (per <= 0 || c.length % per != 0) {
            throw new PlatformSetupException(dir + "/interrupts has " + c.length + " cells, not a multiple of the "
                    + "interrupt parent's #interrupt-cells " + per);
        }
        List<HostTrigger> out = new ArrayList<>();
        for (int i = 0; i < c.length; i += per) {
            out.add(per == 1 ? HostTrigger.LEVEL_HIGH : HostTrigger.fromDtFlags(c[i + per - 1]));
        }
        return out;
    }

    private int interruptCells() {
        for (OfNode n = this; n != null; n = n.parent()) {
            int[] ref = n.cells("interrupt-parent");
            if (ref.length == 1) {
                OfNode target = root().findByPhandle(ref[0]);
                return target == null ? DEFAULT_INTERRUPT_CELLS : target.u32("#interrupt-cells", DEFAULT_INTERRUPT_CELLS);
            }
        }
        return DEFAULT_INTERRUPT_CELLS;
    }

    private OfNode root() {
        OfNode n = this;
        for (OfNode p = n.parent(); p != null; p = p.parent()) {
            n = p;
        }
        return n;
    }

    private @Nullable OfNode findByPhandle(int phandle) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(q -> q.getFileName() != null && q.getFileName().toString().equals("phandle")).toList()) {
                Path parent = p.getParent();
                if (parent != null && new OfNode(parent).u32("phandle", -1) == phandle) {
                    return new OfNode(parent);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
