package org.vfio4j.pci;

import org.vfio4j.common.GuestInterrupt;

/**
 * Machine seam for the INTx pin: which guest line it is wired to and, for machines that cannot
 * resample, a way to drive that line from user space.
 *
 * <p>Why separate from vfio-common's {@link org.vfio4j.common.IrqRouter}: routing a line is the
 * same for every bus and lives there; the pin-to-line swizzle and the level fallback are PCI's.
 * The model asks the router to {@link org.vfio4j.common.IrqRouter#routeLevel route} the line when it
 * {@link org.vfio4j.common.IrqRouter#supportsResample() resamples} (EOI handled in the kernel), and
 * only otherwise asks this seam for {@link #userLevel} (the seed's fallback).
 */
public interface PciIntxWiring {

    /** The guest line the device's INTx pin ({@code 1..4} = INTA..INTD) reaches, after swizzling. */
    GuestInterrupt.Line line(int pin);

    /** Drives {@code line} from user space; only used when the router cannot resample. */
    IntxLevel userLevel(GuestInterrupt.Line line);

    /** A guest interrupt line whose level the model sets. */
    interface IntxLevel extends AutoCloseable {
        /** Raises ({@code true}) or lowers the line. */
        void set(boolean asserted);

        /** Lowers the line and releases it. */
        @Override
        void close();
    }
}
