package org.vfio4j.platform;

import org.vfio4j.common.EventFd;
import org.vfio4j.common.VfioIrq;

/** The real {@link IrqLine}: vector 0 of a platform device's IRQ index (platform IRQ indexes have one vector). */
public final class VfioIrqLine implements IrqLine {
    private final VfioIrq irq;

    /** Line {@code irq} (its vector 0). */
    public VfioIrqLine(VfioIrq irq) {
        this.irq = irq;
    }

    @Override
    public boolean automasked() {
        return irq.info().automasked();
    }

    @Override
    public EventFd enable() {
        return irq.enable(0);
    }

    @Override
    public void unmaskOn(EventFd eventfd) {
        irq.unmaskOn(0, eventfd);
    }

    @Override
    public void clearUnmaskOn() {
        irq.clearUnmaskOn(0);
    }

    @Override
    public void unmask() {
        irq.unmask(0);
    }

    @Override
    public void disable() {
        if (!irq.device().isClosed()) {
            irq.disable(0, 1);
        }
    }

    @Override
    public String describe() {
        return "IRQ " + irq.index() + " of " + irq.device().name();
    }
}
