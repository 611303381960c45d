package org.vfio4j.virt.board;

/**
 * Interrupt trigger types as the GIC device-tree binding encodes them in the third cell
 * (include/dt-bindings/interrupt-controller/irq.h).
 *
 * <p>Why an enum: level-triggered lines need a resample path when routed through irqfds (INTx, level
 * platform IRQs), edge ones do not; the type travels with the interrupt, not as a bare number.
 */
public enum Trigger {
    /** Rising edge ({@code IRQ_TYPE_EDGE_RISING}). */
    EDGE_RISING(1),
    /** Active-high level ({@code IRQ_TYPE_LEVEL_HIGH}). */
    LEVEL_HIGH(4);

    private final int dtFlags;

    Trigger(int dtFlags) {
        this.dtFlags = dtFlags;
    }

    /** The flags cell value. */
    public int dtFlags() {
        return dtFlags;
    }
}
