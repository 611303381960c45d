package org.vfio4j.pci;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One implemented BAR of the device: where its register is, what it decodes, how big it is.
 *
 * <p>Why: the BAR registers the guest sees are fully virtual. Their read-only type bits come from the
 * device, their size from the VFIO region, and their writable address bits are exactly
 * {@code ~(size - 1)}: writing all ones therefore reads back the size mask, which is how a guest sizes
 * a BAR, with no special case. A 64-bit BAR occupies two registers; the upper one has no region.
 *
 * @param index BAR number 0-5 (the VFIO region index)
 * @param space memory or I/O
 * @param is64 whether the BAR is a 64-bit memory BAR (uses register {@code index + 1} too)
 * @param prefetchable the prefetchable bit of a memory BAR
 * @param size size in bytes, a power of two
 */
record PciBar(int index, BarSpace space, boolean is64, boolean prefetchable, long size) {

    static final int BAR0 = 0x10;

    /** Config offset of this BAR's (low) register. */
    int register() {
        return BAR0 + 4 * index;
    }

    /** The read-only low bits the guest sees (space, type, prefetchable). */
    int flags() {
        if (space == BarSpace.IO) {
            return 1;
        }
        return (is64 ? 0b100 : 0) | (prefetchable ? 0b1000 : 0);
    }

    /** Address bits the guest may write, over the full 64 bits for a 64-bit BAR. */
    long addressMask() {
        long mask = ~(size - 1);
        if (space == BarSpace.IO) {
            return mask & 0xFFFF_FFFCL;
        }
        return is64 ? mask & ~0xFL : mask & 0xFFFF_FFF0L;
    }

    /** Declares the masks of this BAR's register(s): all emulated, address bits writable. */
    void define(ConfigMasks masks) {
        long mask = addressMask();
        masks.define(register(), 4, 0xFFFF_FFFFL, mask & 0xFFFF_FFFFL);
        if (is64) {
            masks.define(register() + 4, 4, 0xFFFF_FFFFL, mask >>> 32);
        }
    }

    /** Resets the emulated register(s) to address 0 with this BAR's flags. */
    void reset(ConfigSpace config) {
        config.setEmulated(register(), 4, flags());
        if (is64) {
            config.setEmulated(register() + 4, 4, 0);
        }
    }

    /**
     * The address the guest programmed, or -1 when the BAR does not decode anywhere: address 0, the
     * all-ones sizing pattern, or a range that wraps past the top of its address space.
     */
    long guestAddress(ConfigSpace config) {
        long lo = config.emulatedValue(register(), 4);
        long hi = is64 ? config.emulatedValue(register() + 4, 4) : 0;
        long address = (hi << 32 | lo) & addressMask();
        long limit = is64 ? -1L : space == BarSpace.IO ? 0xFFFF_FFFFL : 0xFFFF_FFFFL;
        if (address == 0 || address == addressMask()) {
            return -1;
        }
        long last = address + size - 1;
        if (Long.compareUnsigned(last, address) < 0 || Long.compareUnsigned(last, limit) > 0) {
            return -1;
        }
        return address;
    }

    /**
     * Reads the BAR layout from the device: type bits from its config space, size from its regions.
     * Registers whose region is missing or empty are unimplemented and read as zero.
     */
    static List<PciBar> probe(PciHost host) {
        List<PciBar> bars = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int raw = host.readConfig(BAR0 + 4 * i, 4);
            Optional<PciHostRegion> region = host.hostRegion(i);
            long size = region.map(PciHostRegion::size).orElse(0L);
            if (size == 0) {
                continue;
            }
            if (Long.bitCount(size) != 1) {
                throw new IllegalStateException("BAR" + i + " of " + host.name() + " has size " + size
                        + ", which is not a power of two; the kernel reported an impossible region");
            }
            if ((raw & 1) == 1) {
                bars.add(new PciBar(i, BarSpace.IO, false, false, size));
                continue;
            }
            boolean is64 = (raw & 0b110) == 0b100 && i < 5;
            bars.add(new PciBar(i, BarSpace.MEMORY, is64, (raw & 0b1000) != 0, size));
            if (is64) {
                i++;
            }
        }
        return List.copyOf(bars);
    }
}
