package org.vfio4j.virt.pci;

import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.pci.PciIntxWiring;
import org.vfio4j.virt.board.PcieHost;
import org.vfio4j.virt.device.RunningGuest;

/**
 * vfio-pci's INTx seam: a pin of the function at {@code slot} raises the SPI the host bridge's
 * {@code interrupt-map} names for it (swizzled by slot); without KVM resampling the level is driven from
 * user space with KVM_IRQ_LINE.
 */
final class GuestIntx implements PciIntxWiring {
    private final int slot;
    private final PcieHost host;
    private final RunningGuest guest;

    GuestIntx(int slot, PcieHost host, RunningGuest guest) {
        this.slot = slot;
        this.host = host;
        this.guest = guest;
    }

    @Override
    public GuestInterrupt.Line line(int pin) {
        return new GuestInterrupt.Line(host.intxSpi(slot, pin));
    }

    @Override
    public IntxLevel userLevel(GuestInterrupt.Line line) {
        return new IntxLevel() {
            @Override
            public void set(boolean asserted) {
                guest.setSpiLevel(line.number(), asserted);
            }

            @Override
            public void close() {
                guest.setSpiLevel(line.number(), false);
            }
        };
    }
}
