package org.vfio4j.common;

/**
 * The irqfd seam: what a device model asks of the machine it is plugged into to deliver a device interrupt to
 * the guest. machine-virt implements it with KVM irqfds; tests can implement it with plain eventfds.
 *
 * <p>Why consumer-side: vfio-pci and vfio-platform only need "this eventfd raises that guest interrupt" and,
 * for level-triggered lines, "signal this eventfd when the guest EOIs". How the machine does that (KVM_IRQFD
 * with KVM_IRQFD_FLAG_RESAMPLE, GSI routing for MSI) is its business. {@link IrqWiring} connects a
 * {@link VfioIrq} vector to a route, wiring the resample eventfd to VFIO's unmask.
 */
public interface IrqRouter {
    /** Each signal of {@code trigger} injects an edge interrupt (or an MSI) at {@code target}. */
    IrqRoute routeEdge(GuestInterrupt target, EventFd trigger);

    /**
     * A signal of {@code trigger} asserts level line {@code target}; when the guest EOIs it, the machine
     * deasserts the line and signals {@code resample} (KVM: irqfd with a resamplefd). Only called when
     * {@link #supportsResample()} is true.
     */
    IrqRoute routeLevel(GuestInterrupt.Line target, EventFd trigger, EventFd resample);

    /**
     * True when the machine can signal a resample eventfd on EOI; without it a device model needs its own
     * user-space fallback for level interrupts.
     */
    boolean supportsResample();
}
