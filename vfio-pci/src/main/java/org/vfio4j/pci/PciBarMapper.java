package org.vfio4j.pci;

import java.lang.foreign.MemorySegment;

/**
 * Machine seam: "map this BAR area at this guest address / unmap it".
 *
 * <p>Why it exists: the model knows where the guest put each BAR and which parts may be mapped
 * straight to the device, but only the machine knows how (a KVM memory slot, an MMIO dispatch
 * entry). The model calls this whenever a BAR moves, memory/IO decoding is switched, or direct
 * mapping is suspended (INTx fallback) and closes the returned {@link Mapping} to unmap.
 * All mappings are page aligned in guest and host for {@link #mapDirect}; trapped mappings may have
 * any size. The model calls these methods while holding its device lock, and its trap handlers take
 * that lock: a machine must not hold a lock of its own while dispatching a trapped access that it
 * also takes inside these methods.
 */
public interface PciBarMapper {

    /**
     * Maps host device memory straight into the guest, so guest accesses need no exit.
     *
     * @param guestAddress guest-physical address, aligned to the host page size
     * @param memory the mmapped device memory; valid until the model closes the mapping
     */
    Mapping mapDirect(long guestAddress, MemorySegment memory);

    /**
     * Makes guest accesses to {@code [guestAddress, guestAddress + size)} in {@code space} exit to
     * {@code handler} (offsets relative to {@code guestAddress}).
     */
    Mapping mapTrapped(BarSpace space, long guestAddress, long size, TrapHandler handler);

    /** One live guest mapping; closing it removes it from the guest. */
    interface Mapping extends AutoCloseable {
        @Override
        void close();
    }
}
