package org.vfio4j.virt.device;

import java.lang.foreign.MemorySegment;

import org.vfio4j.common.GuestContainer;
import org.vfio4j.common.GuestIoas;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.KvmVfioDevice;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.emu.MmioDevice;

/**
 * What a {@link LiveDevice} may ask of the running machine: guest memory backed by host memory, trapped
 * windows, interrupt routes, the guest's RAM (to DMA-map it), and the VM's KVM-VFIO device.
 *
 * <p>Why an interface in the device package: device types (built in or from plugin jars) see these verbs
 * only, not the KVM objects behind them, so a runner can change how it does them (and tests can fake them).
 * Every method may be called while vCPUs run (a BAR moved by the guest), from any thread.
 */
public interface RunningGuest {

    /**
     * Makes {@code host} (page aligned, owned by the caller until the attachment is closed) guest memory at
     * {@code guestAddress}: a KVM memory slot, so guest accesses need no exit.
     */
    Attachment mapMemory(String what, long guestAddress, MemorySegment host);

    /** Sends guest accesses to {@code range} to {@code device}, with offsets relative to the range. */
    Attachment trap(String what, MmioRange range, MmioDevice device);

    /**
     * Interrupt routing through KVM irqfds: {@link org.vfio4j.common.GuestInterrupt.Line} numbers are GIC
     * SPIs (0-based, as in the device tree's {@code interrupts}); MSIs carry {@code devid} to the ITS (the
     * PCI requester ID for PCI functions).
     */
    IrqRouter router(int devid);

    /** Drives SPI {@code spi} from user space (KVM_IRQ_LINE), for fallbacks without resample. */
    void setSpiLevel(int spi, boolean asserted);

    /** Where guest RAM sits in the guest's physical address space. */
    MmioRange ramRange();

    /** The host memory behind guest RAM (to DMA-map it with IOVA = guest physical address). */
    MemorySegment ram();

    /** The VM's KVM-VFIO pseudo device (created on first use, closed by the runner after the devices). */
    KvmVfioDevice kvmVfio();

    /**
     * The guest's one VFIO container, which every assigned device behind an IOMMU joins (PCI and platform): guest
     * RAM is DMA-mapped there once at IOVA = guest physical address, and each group joining it is registered
     * with {@link #kvmVfio()}. Closed by the runner after the devices.
     */
    GuestContainer vfio();

    /**
     * The guest's IOAS in the {@code -object iommufd} named {@code id}, which devices assigned with
     * {@code iommufd=ID} join through their cdevs: guest RAM is DMA-mapped there once, at IOVA = guest physical
     * address, and each device joining is registered with {@link #kvmVfio()}. Closed by the runner after the
     * devices. A guest without such an object (a test's) has none.
     */
    default GuestIoas ioas(String id) {
        throw new IllegalArgumentException("no -object iommufd,id=" + id + " in this machine");
    }

    /**
     * Tells the person at the terminal what a device did (which host device went where, what was mapped), on
     * the VMM's message stream. One line, no trailing newline.
     */
    default void report(String line) {
        System.err.println(line);
    }

    /**
     * The host signalled an error of an assigned device that the guest must not run on through (VFIO's ERR
     * interrupt, from AER): the machine reports {@code message} and stops its vCPUs, as QEMU stops the VM, until
     * QMP's {@code cont} or {@code quit}. Without a machine to stop it only reports.
     */
    default void hostError(String message) {
        report(message);
    }

    /** One memory slot or trapped window; closing it removes it from the guest. */
    interface Attachment extends AutoCloseable {
        @Override
        void close();
    }
}
