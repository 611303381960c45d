package org.vfio4j.pci;

import org.vfio4j.common.IrqRoute;

/**
 * How the INTx pin got connected, which decides who handles the guest's EOI.
 *
 * <p>Sealed because there are exactly two ways: the kernel does everything (an irqfd whose resample
 * eventfd is VFIO's unmask eventfd), or the model does (it watches the trigger, raises the line, and
 * treats the next BAR access as the EOI, the seed's fallback).
 */
sealed interface IntxConnection extends AutoCloseable {

    /** Disconnects the pin (and lowers the line). */
    @Override
    void close();

    /** The machine resamples: EOI signals the resample eventfd, which unmasks INTx in VFIO. */
    record Resampled(IrqRoute route) implements IntxConnection {
        @Override
        public void close() {
            route.close();
        }
    }

    /** The machine cannot resample: the model sets the line level itself. */
    record Level(PciIntxWiring.IntxLevel line) implements IntxConnection {
        @Override
        public void close() {
            line.close();
        }
    }
}
