package org.vfio4j.common;

/**
 * Connects a VFIO IRQ vector to a guest interrupt through an {@link IrqRouter}: edge interrupts with a plain
 * trigger eventfd; level (automasked) ones with the trigger plus a resample eventfd that VFIO uses to unmask
 * the line when the guest EOIs (no user-space round trip per interrupt).
 *
 * {@snippet :
 * VfioIrq intx = dev.irq(VfioAbi.VFIO_PCI_INTX_IRQ_INDEX);
 * IrqRoute route = IrqWiring.connect(intx, 0, new GuestInterrupt.Line(35), machineRouter);
 * // ... guest runs; each INTx assertion reaches SPI 35, each EOI re-arms it in the kernel
 * route.close();
 * }
 */
public final class IrqWiring {
    private IrqWiring() {
    }

    /**
     * Enables {@code vector} of {@code irq} and routes it to {@code target}. Level (automasked) IRQs need a
     * {@link GuestInterrupt.Line} and a router that {@link IrqRouter#supportsResample() resamples}; otherwise
     * this refuses, and the device model must use its own user-space unmask fallback.
     */
    public static IrqRoute connect(VfioIrq irq, int vector, GuestInterrupt target, IrqRouter router) {
        boolean level = irq.info().automasked();
        if (!level) {
            EventFd trigger = irq.enable(vector);
            IrqRoute route;
            try {
                route = router.routeEdge(target, trigger);
            } catch (RuntimeException e) {
                irq.disable(vector, 1);
                throw e;
            }
            return new Wired(route, irq, vector, null);
        }
        if (!(target instanceof GuestInterrupt.Line line)) {
            throw new IllegalArgumentException(irq + " is level-triggered (automasked) and needs a wired line, not " + target);
        }
        if (!router.supportsResample()) {
            throw VfioException.refused("route level " + irq + " vector " + vector, "the machine cannot resample "
                    + "(no irqfd resample support); use the device model's user-space unmask fallback");
        }
        EventFd trigger = irq.enable(vector);
        EventFd resample = EventFd.create();
        try {
            irq.unmaskOn(vector, resample);
            return new Wired(router.routeLevel(line, trigger, resample), irq, vector, resample);
        } catch (RuntimeException e) {
            irq.disable(vector, 1);
            resample.close();
            throw e;
        }
    }

    /** The route plus the VFIO side to undo on close. */
    private static final class Wired implements IrqRoute {
        private final IrqRoute route;
        private final VfioIrq irq;
        private final int vector;
        private final @org.eclipse.jdt.annotation.Nullable EventFd resample;
        private boolean closed;

        Wired(IrqRoute route, VfioIrq irq, int vector, @org.eclipse.jdt.annotation.Nullable EventFd resample) {
            this.route = route;
            this.irq = irq;
            this.vector = vector;
            this.resample = resample;
        }

        @Override
        public GuestInterrupt target() {
            return route.target();
        }

        @Override
        public void retarget(GuestInterrupt target) {
            route.retarget(target);
        }

        @Override
        public void suspend() {
            route.suspend();
        }

        @Override
        public void resume() {
            route.resume();
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                route.close();
            } finally {
                EventFd r = resample;
                if (!irq.device().isClosed()) {
                    if (r != null) {
                        irq.clearUnmaskOn(vector);
                    }
                    irq.disable(vector, 1);
                }
                if (r != null) {
                    r.close();
                }
            }
        }
    }
}
