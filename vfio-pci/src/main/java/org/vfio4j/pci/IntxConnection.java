package org.vfio4j.pci;

/**
 * How the machine connected the INTx pin, which decides who handles the guest's EOI.
 *
 * <p>Sealed because there are exactly two ways: the kernel does everything (irqfd + resample fd
 * wired to VFIO's unmask), or the model does (it sees the trigger, raises the line, and treats the
 * next BAR access as the EOI, the seed's fallback).
 */
public sealed interface IntxConnection extends AutoCloseable {

    /** Disconnects the pin (and lowers the line). */
    @Override
    void close();

    /**
     * The trigger is an irqfd with a resample fd: EOI signals the resample trigger, which the model has
     * wired to VFIO's INTx unmask.
     *
     * @param registration undoes the irqfd registration on close
     */
    record Resampled(AutoCloseable registration) implements IntxConnection {
        @Override
        public void close() {
            try {
                registration.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not remove the INTx irqfd: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The machine cannot resample: the model watches the trigger and sets the line level itself.
     *
     * @param line sets the guest-visible level of the pin
     */
    record Level(IntxLine line) implements IntxConnection {
        @Override
        public void close() {
            line.close();
        }
    }

    /** A guest interrupt line driven from user space. */
    interface IntxLine extends AutoCloseable {
        /** Raises ({@code true}) or lowers the line. */
        void set(boolean asserted);

        /** Lowers the line and releases it. */
        @Override
        void close();
    }
}
