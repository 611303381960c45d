package org.vfio4j.pci;

import org.eclipse.jdt.annotation.Nullable;

/**
 * What the MSI and MSI-X capabilities share: where the capability sits, the config space, host and machine it
 * works through, the {@link InterruptOwner} both ask before enabling, and the host vectors while enabled.
 *
 * <p>Why a base class: the two differ in how the guest programs vectors (config registers versus a trapped
 * table) but hold the same parts and let go of them the same way on disable and device stop.
 */
abstract sealed class MessageCapability permits MsiCapability, MsixCapability {

    final int offset;
    final ConfigSpace config;
    final PciHost host;
    final PciMachine machine;
    final InterruptOwner owner;
    final PciIrqIndex index;
    @Nullable InterruptVectors vectors;

    MessageCapability(PciIrqIndex index, int offset, ConfigSpace config, PciHost host, PciMachine machine,
            InterruptOwner owner) {
        this.index = index;
        this.offset = offset;
        this.config = config;
        this.host = host;
        this.machine = machine;
        this.owner = owner;
    }

    boolean enabled() {
        return vectors != null;
    }

    /** Closes the host vectors, if any, and gives the device back to the owner (INTx). */
    final void releaseVectors() {
        InterruptVectors v = vectors;
        if (v != null) {
            v.close();
            vectors = null;
            owner.release(index);
        }
    }
}
