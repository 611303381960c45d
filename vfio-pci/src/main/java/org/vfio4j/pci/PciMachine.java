package org.vfio4j.pci;

import java.util.function.Consumer;

import org.vfio4j.common.IrqRouter;

/**
 * Everything an assigned PCI device asks of the machine it is plugged into, in one value.
 *
 * <p>Why a record of interfaces: the consumer names what it needs and nothing more.
 * A machine implements four small seams, usually with one object per concern:
 *
 * @param bars "map this BAR area at this guest address / unmap it" (memory slots, MMIO dispatch)
 * @param irqs vfio-common's irqfd seam: MSI/MSI-X vectors as edge routes, INTx as a resampled level
 * @param intx which guest line the INTx pin reaches, and a user-space level when there is no resampling
 * @param loop the machine's event loop, for the little the model handles in user space
 * @param warnings where the device's diagnostics go, one line each (the model limits their rate: the guest
 *     can provoke them)
 */
public record PciMachine(PciBarMapper bars, IrqRouter irqs, PciIntxWiring intx, PciEventLoop loop,
        Consumer<String> warnings) {}
