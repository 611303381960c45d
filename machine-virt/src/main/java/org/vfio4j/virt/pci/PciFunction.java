package org.vfio4j.virt.pci;

import java.util.List;

import org.vfio4j.pci.GuestBar;

/**
 * The configuration space of one PCI function as the guest's ECAM accesses reach it.
 *
 * <p>Why an interface: the root bus dispatches by device number and needs nothing else from a function; an
 * assigned device ({@code AssignedPciDevice}) or, later, an emulated one answers the same two calls.
 * Offsets are inside the function's 4 KiB; sizes are 1, 2 or 4 and naturally aligned.
 */
public interface PciFunction {
    /** A config read of {@code size} bytes at {@code offset}. */
    int configRead(int offset, int size);

    /** A config write of {@code size} bytes at {@code offset}. */
    void configWrite(int offset, int size, int value);

    /** The function's BARs as the guest has placed them (for QMP's {@code query-pci}); none by default. */
    default List<GuestBar> bars() {
        return List.of();
    }
}
