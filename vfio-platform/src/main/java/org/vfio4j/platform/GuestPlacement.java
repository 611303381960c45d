package org.vfio4j.platform;

import java.util.List;

import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.dt.DtNode;

/**
 * Where the machine put an assigned device: a guest-physical base per region, a guest line per IRQ, and a
 * node builder that writes {@code reg} and {@code interrupts} in the machine's own cell format.
 *
 * <p>Why the machine writes those two properties: their format depends on the bus the node sits on
 * (machine-virt's platform bus: one address cell relative to its window, GIC three-cell interrupts);
 * the device supplies everything else in its node. machine-virt implements it over its platform-bus
 * allocation.
 */
public interface GuestPlacement {
    /** Guest-physical base of region i (each at least as large as the region). */
    List<Long> regionBases();

    /** The guest line for IRQ i, numbered as the machine's {@link org.vfio4j.common.IrqRouter} expects. */
    List<GuestInterrupt.Line> lines();

    /**
     * A node named {@code name@unit} with {@code compatible}, {@code reg} and {@code interrupts} (one entry per
     * line, level-high for level {@code triggers}, rising edge for edge ones) already set.
     */
    DtNode.Builder nodeBuilder(String name, List<String> compatible, List<HostTrigger> triggers);
}
