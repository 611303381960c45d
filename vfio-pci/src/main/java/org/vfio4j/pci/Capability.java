package org.vfio4j.pci;

/**
 * One capability found in the device's config space, and whether the guest gets to see it.
 *
 * @param id capability id (standard: 8 bits, extended: 16 bits)
 * @param offset config offset of its header
 * @param length bytes it occupies (known layouts, else up to the next capability)
 * @param extended whether it is in the PCI Express extended list (0x100-0xFFF)
 * @param kept whether it stays linked; hidden ones read as zero
 */
record Capability(int id, int offset, int length, boolean extended, boolean kept) {

    @Override
    public String toString() {
        return String.format("%s cap 0x%x at 0x%x (%d bytes, %s)", extended ? "extended" : "standard", id, offset,
                length, kept ? "kept" : "hidden");
    }
}
