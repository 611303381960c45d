package org.vfio4j.pci;

/**
 * The interrupt indexes a VFIO PCI device exposes (VFIO_PCI_*_IRQ_INDEX in linux/vfio.h).
 *
 * <p>Why an enum: the kernel's set is closed and the numbers are ABI; the model only ever drives
 * INTx, MSI and MSI-X, the two others are listed so a host implementation can map every index.
 */
public enum PciIrqIndex {
    /** Legacy level-triggered pin interrupt, automasked by VFIO when it fires. */
    INTX(0),
    /** Message-signalled interrupts (the MSI capability), all vectors enabled at once. */
    MSI(1),
    /** MSI-X (table in a BAR), vectors can be added incrementally on newer kernels. */
    MSIX(2),
    /** AER error notification. */
    ERR(3),
    /** Device request (the host wants the device back). */
    REQ(4);

    private final int vfioIndex;

    PciIrqIndex(int vfioIndex) {
        this.vfioIndex = vfioIndex;
    }

    /** The VFIO irq index number. */
    public int vfioIndex() {
        return vfioIndex;
    }
}
