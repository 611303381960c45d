package org.vfio4j.pci;

/**
 * An eventfd-style signal between the host device, the model and the machine.
 *
 * <p>Why an interface: the same object is handed to VFIO (which signals it when the device raises a
 * vector or INTx), to the machine (which routes it to the guest, e.g. as a KVM irqfd, or polls it) and
 * to the model itself (which watches masked vectors in user space). The host seam creates them
 * ({@link PciHost#newTrigger()}) so the real implementation can hand VFIO a real eventfd while unit
 * tests use an in-memory counter.
 */
public interface Trigger extends AutoCloseable {

    /** Raises the signal once (eventfd write of 1); used to re-deliver an interrupt held while masked. */
    void signal();

    /**
     * Consumes any pending signal without blocking (eventfd read in non-blocking mode).
     *
     * @return whether the trigger had been signalled since the last consume
     */
    boolean consume();

    /** Releases the underlying eventfd; idempotent. */
    @Override
    void close();
}
