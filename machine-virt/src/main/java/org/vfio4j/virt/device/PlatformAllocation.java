package org.vfio4j.virt.device;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.vfio4j.common.dt.DtCell;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.virt.board.Gicv3;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.board.Trigger;

/**
 * The platform-bus resources given to one device: guest-physical MMIO ranges and device-tree SPI
 * numbers (INTID = 32 + SPI), plus helpers that turn them into the node's {@code reg},
 * {@code interrupts} and unit address in the platform bus's cell format (1 address cell relative to
 * the bus window, 1 size cell, GIC three-cell interrupts).
 *
 * <p>Why the helpers live here: every sysbus device needs exactly these properties, and getting the
 * relative addressing wrong is the classic mistake; devices only add what is specific to them.
 *
 * @param busBase guest-physical base of the platform-bus window the offsets are relative to
 */
public record PlatformAllocation(String deviceId, long busBase, List<MmioRange> regions, List<Integer> spis) {

    public PlatformAllocation {
        regions = List.copyOf(regions);
        spis = List.copyOf(spis);
    }

    /** Offset of region {@code i} inside the platform-bus window (its {@code reg} address). */
    public long busOffset(int i) {
        return regions.get(i).base() - busBase;
    }

    /** {@code reg = <offset size ...>} for all regions. */
    public DtProperty reg() {
        List<DtCell> cells = new ArrayList<>();
        for (int i = 0; i < regions.size(); i++) {
            cells.add(DtCell.num((int) busOffset(i)));
            cells.add(DtCell.num((int) regions.get(i).size()));
        }
        return DtProperty.cells("reg", cells);
    }

    /**
     * {@code interrupts} for the allocated SPIs: one trigger for all, or one per SPI.
     */
    public DtProperty interrupts(Trigger... triggers) {
        if (triggers.length != 1 && triggers.length != spis.size()) {
            throw new IllegalArgumentException(deviceId + ": " + triggers.length + " triggers for " + spis.size() + " interrupts");
        }
        List<DtCell> cells = new ArrayList<>();
        for (int i = 0; i < spis.size(); i++) {
            cells.addAll(Gicv3.spi(spis.get(i), triggers.length == 1 ? triggers[0] : triggers[i]));
        }
        return DtProperty.cells("interrupts", cells);
    }

    /**
     * A node builder named {@code name@<offset of the first region>} with {@code compatible},
     * {@code reg} and (if any SPIs) {@code interrupts} already set; add binding-specific properties
     * and {@code build()}.
     */
    public DtNode.Builder nodeBuilder(String name, List<String> compatible, Trigger... triggers) {
        DtNode.Builder b = DtNode.builder(name);
        if (!regions.isEmpty()) {
            b.unitAddress(busOffset(0));
        }
        b.property(DtProperty.strings("compatible", compatible.toArray(String[]::new))).property(reg());
        if (!spis.isEmpty()) {
            b.property(interrupts(triggers));
        }
        return b;
    }

    /** One report line, e.g. {@code stub0: mmio 0xc000000+0x10000, spi 112 (INTID 144)}. */
    public String describe() {
        String mmio = regions.stream().map(r -> String.format("0x%x+0x%x", r.base(), r.size())).collect(Collectors.joining(", "));
        String irqs = spis.stream().map(s -> s + " (INTID " + (s + 32) + ")").collect(Collectors.joining(", "));
        return deviceId + ": mmio " + (mmio.isEmpty() ? "none" : mmio) + ", spi " + (irqs.isEmpty() ? "none" : irqs);
    }
}
