package org.vfio4j.pci;

import java.util.List;
import java.util.Optional;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;

/**
 * What the guest-facing PCI model needs from the host device: config access, BAR/ROM regions,
 * interrupt enables and reset.
 *
 * <p>Why it exists: a consumer-side interface. {@code VfioPciDevice} (over vfio-common)
 * implements it for real; unit tests implement it in memory. Every method maps onto one VFIO
 * operation (config region read/write, region info, SET_IRQS, DEVICE_RESET), so nothing here hides
 * kernel behaviour the model has to reason about.
 */
public interface PciHost {

    /** The device name, e.g. {@code 0000:00:04.0}, for messages. */
    String name();

    /** Size of the config region: 256 (conventional) or 4096 (PCI Express). */
    int configSize();

    /** Reads 1, 2 or 4 bytes of the device's config space (as the kernel presents it), little-endian. */
    int readConfig(int offset, int size);

    /** Writes 1, 2 or 4 bytes of config space, little-endian. */
    void writeConfig(int offset, int size, int value);

    /**
     * A BAR (index 0-5) or the expansion ROM (index 6), if the device implements it.
     * The upper half of a 64-bit BAR has no region.
     */
    Optional<PciHostRegion> hostRegion(int index);

    /** The host's page size; direct guest mappings must be aligned to it. */
    long pageSize();

    /** Number of vectors the host offers for an interrupt index (0 when unsupported). */
    int irqCount(PciIrqIndex index);

    /**
     * Whether vectors of an enabled index can be added without disabling it first (VFIO reports
     * the opposite as VFIO_IRQ_INFO_NORESIZE; MSI-X on kernels with dynamic allocation can).
     */
    boolean irqResizable(PciIrqIndex index);

    /**
     * Sets (and so enables) the trigger of vectors {@code start .. start+triggers.size()-1}; a
     * {@code null} entry enables the vector without a trigger (VFIO fd -1).
     */
    void setIrqTriggers(PciIrqIndex index, int start, List<@Nullable EventFd> triggers);

    /** Disables every vector of an index (VFIO_IRQ_SET_DATA_NONE with count 0). */
    void disableIrq(PciIrqIndex index);

    /** Unmasks INTx after it fired (VFIO automasks it). */
    void unmaskIntx();

    /**
     * Makes the kernel unmask INTx whenever {@code resample} is signalled (the resample eventfd
     * of a KVM irqfd), so the guest's EOI needs no user-space round trip.
     */
    void unmaskIntxOn(EventFd resample);

    /** Resets the device (FLR or whatever reset method the kernel has); false when it has none. */
    boolean resetDevice();
}
