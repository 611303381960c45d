package org.vfio4j.common;

import org.vfio4j.common.sys.VfioAbi;

/**
 * {@code struct vfio_irq_info} as returned by VFIO_DEVICE_GET_IRQ_INFO.
 *
 * @param index the IRQ index (for PCI: 0 INTx, 1 MSI, 2 MSI-X, 3 ERR, 4 REQ)
 * @param flags VFIO_IRQ_INFO_* bits
 * @param count number of vectors at this index
 */
public record IrqInfo(int index, int flags, int count) {
    /** Signals through an eventfd (all usable IRQs do). */
    public boolean eventfd() {
        return (flags & VfioAbi.VFIO_IRQ_INFO_EVENTFD) != 0;
    }

    /** Can be masked and unmasked through VFIO_DEVICE_SET_IRQS. */
    public boolean maskable() {
        return (flags & VfioAbi.VFIO_IRQ_INFO_MASKABLE) != 0;
    }

    /** Level-triggered: the kernel masks it when it fires, and it stays masked until unmasked. */
    public boolean automasked() {
        return (flags & VfioAbi.VFIO_IRQ_INFO_AUTOMASKED) != 0;
    }

    /** The vector count cannot change while enabled (enabling more needs a disable first). */
    public boolean noresize() {
        return (flags & VfioAbi.VFIO_IRQ_INFO_NORESIZE) != 0;
    }
}
