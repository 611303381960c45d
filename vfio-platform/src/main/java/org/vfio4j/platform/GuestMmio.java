package org.vfio4j.platform;

import java.lang.foreign.MemorySegment;

/**
 * What a platform device model asks of its machine for MMIO: "map this host memory at this guest address"
 * (a KVM memory slot over the region's mmap, so the guest reaches the device without exits) and "trap this
 * guest range to me" (for regions or parts VFIO does not let us mmap, or {@code x-no-mmap}).
 *
 * <p>Why consumer-side: vfio-platform needs only these two verbs; how the machine does them (memory
 * slots, its MMIO exit dispatch) is its business. machine-virt's KVM runner implements it.
 */
public interface GuestMmio {
    /**
     * Makes {@code host} (a region's mmap, owned by the region until it is unmapped) appear at
     * {@code guestAddress}; {@code what} names it in the machine's reports.
     */
    MmioMapping map(String what, long guestAddress, MemorySegment host);

    /** Sends guest accesses to {@code [guestAddress, guestAddress + size)} to {@code handler}. */
    MmioMapping trap(String what, long guestAddress, long size, MmioHandler handler);

    /** A live mapping or trap; closing it removes it from the guest. */
    interface MmioMapping extends AutoCloseable {
        @Override
        void close();
    }
}
