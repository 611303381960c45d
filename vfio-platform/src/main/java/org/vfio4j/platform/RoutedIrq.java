package org.vfio4j.platform;

import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;

/**
 * A platform IRQ delivered to the guest, in one of the three ways {@link PlatformIrqRouting} chooses. Sealed:
 * the set is closed, and tests and reports ask which one a line got.
 *
 * <p>Closing stops delivery and undoes the VFIO side (unmask-eventfd, trigger), route first so no interrupt
 * arrives at a half-torn-down line.
 */
public sealed interface RoutedIrq extends AutoCloseable permits RoutedIrq.Edge, RoutedIrq.Resampled, UserSpaceUnmask {
    /** The guest line it raises. */
    GuestInterrupt.Line target();

    /**
     * Called by the device model on each trapped guest access to the device: the fallback re-arms a pending
     * level interrupt here; irqfd-routed lines have nothing to do.
     */
    void guestAccessed();

    @Override
    void close();

    /** An edge line: trigger eventfd → plain irqfd. */
    final class Edge implements RoutedIrq {
        private final IrqLine line;
        private final IrqRoute route;
        private final GuestInterrupt.Line target;

        Edge(IrqLine line, IrqRoute route, GuestInterrupt.Line target) {
            this.line = line;
            this.route = route;
            this.target = target;
        }

        @Override
        public GuestInterrupt.Line target() {
            return target;
        }

        @Override
        public void guestAccessed() {
            // Nothing to re-arm: edges are not masked by VFIO.
        }

        @Override
        public void close() {
            try {
                route.close();
            } finally {
                line.disable();
            }
        }
    }

    /**
     * A level line: trigger eventfd → irqfd with a resample eventfd that VFIO uses to unmask on guest EOI (the
     * RFC's "VFIO virq" path: no user-space wake-up per interrupt).
     */
    final class Resampled implements RoutedIrq {
        private final IrqLine line;
        private final IrqRoute route;
        private final EventFd resample;
        private final GuestInterrupt.Line target;

        Resampled(IrqLine line, IrqRoute route, EventFd resample, GuestInterrupt.Line target) {
            this.line = line;
            this.route = route;
            this.resample = resample;
            this.target = target;
        }

        @Override
        public GuestInterrupt.Line target() {
            return target;
        }

        /** The eventfd the machine signals on EOI and VFIO unmasks on. */
        public EventFd resample() {
            return resample;
        }

        @Override
        public void guestAccessed() {
            // The kernel unmasks on EOI; nothing to do in user space.
        }

        @Override
        public void close() {
            try {
                route.close();
            } finally {
                try {
                    line.clearUnmaskOn();
                    line.disable();
                } finally {
                    resample.close();
                }
            }
        }
    }
}
