package org.vfio4j.pci;

/**
 * Machine seam: "route this MSI vector from this trigger" and "this INTx line: trigger + resample".
 *
 * <p>Why it exists: the model decides which vectors are live and what message each carries; the
 * machine decides how a signalled trigger becomes a guest interrupt (KVM irqfd with an MSI route,
 * a GIC SPI with a resample fd, or a user-space poll).
 */
public interface PciInterruptRouter {

    /**
     * Delivers {@code message} to the guest each time {@code trigger} is signalled, until the route is
     * closed. A signal pending when the route is created must be delivered (KVM irqfd does this).
     */
    MsiRoute routeMsi(MsiMessage message, Trigger trigger);

    /**
     * Connects the device's INTx pin ({@code 1..4} = INTA..INTD). When the machine can resample
     * (irqfd with a resample fd), it routes {@code trigger} as a level interrupt, signals
     * {@code resample} on the guest's EOI, and returns {@link IntxConnection.Resampled}. When it cannot,
     * it leaves {@code trigger} alone and returns {@link IntxConnection.Level}, and the model drives the
     * line from user space.
     */
    IntxConnection connectIntx(int pin, Trigger trigger, Trigger resample);

    /** A live MSI route. */
    interface MsiRoute extends AutoCloseable {
        /** Changes the message the trigger delivers (the guest reprogrammed a live vector). */
        void update(MsiMessage message);

        /** Stops delivering; the trigger is left for the model to watch or close. */
        @Override
        void close();
    }
}
