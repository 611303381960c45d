package org.vfio4j.pci;

import org.eclipse.jdt.annotation.Nullable;

/**
 * Decides which interrupt index owns the device: INTx by default, MSI or MSI-X while the guest
 * enables one of them.
 *
 * <p>Why: VFIO refuses to enable an index while another is active, and a guest (or a random write)
 * may set both enable bits. The first message-signalled index to ask wins; INTx is disconnected
 * while it owns the device and reconnected when it lets go.
 */
final class InterruptOwner {

    private final @Nullable IntxInterrupt intx;
    private @Nullable PciIrqIndex owner;

    InterruptOwner(@Nullable IntxInterrupt intx) {
        this.intx = intx;
    }

    /** Asks for the device for MSI or MSI-X; false while the other one holds it. */
    boolean acquire(PciIrqIndex index) {
        if (owner == index) {
            return true;
        }
        if (owner != null) {
            return false;
        }
        if (intx != null) {
            intx.disconnect();
        }
        owner = index;
        return true;
    }

    /** Gives the device back to INTx. */
    void release(PciIrqIndex index) {
        if (owner != index) {
            return;
        }
        owner = null;
        if (intx != null) {
            intx.connect();
        }
    }

    @Nullable PciIrqIndex owner() {
        return owner;
    }
}
