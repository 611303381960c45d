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

    @Override
    void close();
}
