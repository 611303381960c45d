package org.vfio4j.platform;

/**
 * How a host interrupt line is triggered, as the host's device tree says (the flags cell of the GIC
 * binding, include/dt-bindings/interrupt-controller/irq.h).
 *
 * <p>Why it matters: a level line must be resampled (irqfd + resample eventfd wired to VFIO's unmask)
 * or it would fire once and stay masked; an edge line needs only a plain irqfd. The guest always sees
 * an active-high level or a rising edge: VFIO delivers "asserted"/"fired", not the electrical polarity.
 */
public enum HostTrigger {
    EDGE_RISING(1), EDGE_FALLING(2), LEVEL_HIGH(4), LEVEL_LOW(8);

    private final int dtFlags;

    HostTrigger(int dtFlags) {
        this.dtFlags = dtFlags;
    }

    /** The flags value in the device tree. */
    public int dtFlags() {
        return dtFlags;
    }

    /** True for level-sensitive lines. */
    public boolean level() {
        return this == LEVEL_HIGH || this == LEVEL_LOW;
    }

    /**
     * The trigger for a flags cell; {@code IRQ_TYPE_NONE} (0) or an unknown value reads as level-high, the
     * conservative choice (a level path also works for an edge source; the reverse loses interrupts).
     */
    public static HostTrigger fromDtFlags(int flags) {
        return switch (flags & 0xf) {
            case 1 -> EDGE_RISING;
            case 2 -> EDGE_FALLING;
            case 8 -> LEVEL_LOW;
            default -> LEVEL_HIGH;
        };
    }
}
