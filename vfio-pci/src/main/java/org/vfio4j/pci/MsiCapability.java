package org.vfio4j.pci;

import org.vfio4j.common.GuestInterrupt;

/**
 * The MSI capability, fully emulated: the guest programs address, data, vector count and masks in
 * the model, which turns them into host vectors and machine routes.
 *
 * <p>Why emulated: the address the guest writes is a guest address (its interrupt controller), not
 * one the device may use; the host's MSI is programmed by the host kernel through VFIO. Writable
 * bits: enable and multiple-message-enable in the control word, the address, the 16-bit data and,
 * with per-vector masking, the mask bits. The pending bits mirror the vectors held while masked.
 */
final class MsiCapability extends MessageCapability {

    static final int ID = 0x05;

    private final boolean is64;
    private final boolean perVectorMask;
    private final int maxVectors;

    MsiCapability(int offset, ConfigSpace config, PciHost host, PciMachine machine,
            InterruptOwner owner) {
        super(PciIrqIndex.MSI, offset, config, host, machine, owner);
        int control = config.hostValue(offset + 2, 2);
        this.is64 = (control & 0x80) != 0;
        this.perVectorMask = (control & 0x100) != 0;
        int capable = 1 << Math.min((control >>> 1) & 7, 5);
        this.maxVectors = Math.max(1, Math.min(capable, host.irqCount(PciIrqIndex.MSI)));
    }

    /** Length of the capability in bytes, from its flags. */
    static int length(int control) {
        boolean is64 = (control & 0x80) != 0;
        boolean pvm = (control & 0x100) != 0;
        return (is64 ? 14 : 10) + (pvm ? 10 : 0);
    }

    private int dataOffset() {
        return offset + (is64 ? 12 : 8);
    }

    private int maskOffset() {
        return offset + (is64 ? 16 : 12);
    }

    /** Declares the masks and resets the emulated registers; called once per start. */
    void define() {
        ConfigMasks m = config.masks();
        int length = length(config.hostValue(offset + 2, 2));
        m.emulateReadOnly(offset + 2, length - 2);
        int mmcBits = Integer.numberOfTrailingZeros(maxVectors);
        int control = config.hostValue(offset + 2, 2) & 0x180 | mmcBits << 1;
        config.setEmulated(offset + 2, 2, control);
        for (int i = 4; i < length; i++) {
            config.setEmulated(offset + i, 1, 0);
        }
        m.define(offset + 2, 2, 0xFFFF, 0x0071);
        m.define(offset + 4, 4, 0xFFFF_FFFFL, 0xFFFF_FFFCL);
        if (is64) {
            m.define(offset + 8, 4, 0xFFFF_FFFFL, 0xFFFF_FFFFL);
        }
        m.define(dataOffset(), 2, 0xFFFF, 0xFFFF);
        if (perVectorMask) {
            m.define(maskOffset(), 4, 0xFFFF_FFFFL, maxVectors == 32 ? 0xFFFF_FFFFL : (1L << maxVectors) - 1);
        }
        config.listen(offset + 2, length - 2, (_, _) -> apply());
    }

    /** Number of vectors the guest enabled (0 when MSI is off). */
    int enabledVectors() {
        InterruptVectors v = vectors;
        return v == null ? 0 : v.capacity();
    }

    private void apply() {
        long control = config.emulatedValue(offset + 2, 2);
        boolean enable = (control & 1) != 0;
        int count = Math.min(1 << ((control >>> 4) & 7), maxVectors);
        InterruptVectors v = vectors;
        if (v != null && (!enable || v.capacity() != count)) {
            v.close();
            vectors = null;
            if (perVectorMask) {
                config.setEmulated(maskOffset() + 4, 4, 0);
            }
            if (!enable) {
                owner.release(PciIrqIndex.MSI);
            }
        }
        if (!enable || !owner.acquire(PciIrqIndex.MSI)) {
            return;
        }
        if (vectors == null) {
            v = new InterruptVectors(PciIrqIndex.MSI, count, host, machine, this::mirrorPending);
            vectors = v;
            v.enableAll(count);
        }
        InterruptVectors live = vectors;
        if (live == null) {
            return;
        }
        long address = config.emulatedValue(offset + 4, 4) | (is64 ? config.emulatedValue(offset + 8, 4) << 32 : 0);
        int data = (int) config.emulatedValue(dataOffset(), 2);
        long mask = perVectorMask ? config.emulatedValue(maskOffset(), 4) : 0;
        for (int i = 0; i < count; i++) {
            live.set(i, new GuestInterrupt.Msi(address, data & ~(count - 1) | i), (mask >>> i & 1) != 0);
        }
    }

    private void mirrorPending() {
        InterruptVectors v = vectors;
        if (!perVectorMask || v == null) {
            return;
        }
        long bits = 0;
        for (int i = 0; i < v.capacity(); i++) {
            bits |= v.pending(i) ? 1L << i : 0;
        }
        config.setEmulated(maskOffset() + 4, 4, bits);
    }

    /** Turns MSI off (device stop). */
    void shutdown() {
        releaseVectors();
    }
}
