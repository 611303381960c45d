package org.vfio4j.pci;

/**
 * One BAR of an assigned device as the guest has it now: what it decodes, how big it is and where it sits.
 *
 * <p>Why a value of its own: a VMM's control plane reports the guest's PCI layout (QMP's {@code query-pci}),
 * and the layout lives in the virtual BAR registers the model owns; a snapshot answers that without letting a
 * caller touch the registers.
 *
 * @param index BAR number 0-5
 * @param space memory or I/O
 * @param is64 whether it is a 64-bit memory BAR
 * @param prefetchable the prefetchable bit of a memory BAR
 * @param size size in bytes, a power of two
 * @param address the guest address it decodes at, or -1 while it does not decode (its space is off in the
 *     command register, or the guest has not placed it)
 */
public record GuestBar(int index, BarSpace space, boolean is64, boolean prefetchable, long size, long address) {
}
