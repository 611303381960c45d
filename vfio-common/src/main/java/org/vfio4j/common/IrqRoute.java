package org.vfio4j.common;

/**
 * A live route from a device eventfd to a guest interrupt, made by an {@link IrqRouter}. Closing it stops
 * delivery (KVM: deassigns the irqfd).
 */
public interface IrqRoute extends AutoCloseable {
    /** Where the interrupt currently goes. */
    GuestInterrupt target();

    /**
     * Points the route at a new target without tearing it down, so no interrupt is lost in between (a guest
     * reprogramming an MSI-X entry's address/data).
     */
    void retarget(GuestInterrupt target);

    /**
     * Stops delivery but keeps the route reserved, so that a guest masking and unmasking a vector costs no
     * routing-table update (KVM: the irqfd is deassigned, its GSI route stays). Signals that arrive while
     * suspended stay in the trigger eventfd for whoever watches it.
     */
    void suspend();

    /** Delivers again after {@link #suspend()}; a signal left in the trigger eventfd is delivered at once. */
    void resume();

    @Override
    void close();
}
