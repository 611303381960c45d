package org.vfio4j.pci;

import java.util.Arrays;

/**
 * The per-register bit table that decides, for every config-space bit, who owns it.
 *
 * <p>Why a table: like QEMU's emulated-bits masks, ownership is data, so every register's policy can
 * be read in one place and checked by tests. Four kinds of bit result from two masks (plus RW1C):
 * <ul>
 * <li>emulated and writable: the guest's value is kept by the model (BAR addresses, MSI address);
 * <li>emulated, read-only: the model presents a value of its own (capability next pointers, BAR type
 * bits, hidden capabilities read as zero);
 * <li>writable, not emulated: the write reaches the device (command register enables);
 * <li>neither: host-owned, read from the device, guest writes dropped (IDs, class, MSI-X table offset).
 * </ul>
 * RW1C marks device bits that clear when 1 is written (status errors): the model never writes
 * back a 1 it merely read, only what the guest wrote.
 */
final class ConfigMasks {

    private final byte[] emulated;
    private final byte[] writable;
    private final byte[] rw1c;

    ConfigMasks(int size) {
        emulated = new byte[size];
        writable = new byte[size];
        rw1c = new byte[size];
    }

    int size() {
        return emulated.length;
    }

    /** Sets the policy of a little-endian register of {@code width} bytes. */
    ConfigMasks define(int offset, int width, long emulatedBits, long writableBits) {
        return define(offset, width, emulatedBits, writableBits, 0);
    }

    /** Sets the policy including the bits that are write-1-to-clear on the device. */
    ConfigMasks define(int offset, int width, long emulatedBits, long writableBits, long rw1cBits) {
        for (int i = 0; i < width; i++) {
            emulated[offset + i] = (byte) (emulatedBits >>> (8 * i));
            writable[offset + i] = (byte) (writableBits >>> (8 * i));
            rw1c[offset + i] = (byte) (rw1cBits >>> (8 * i));
        }
        return this;
    }

    /** Makes a range fully emulated and read-only (reserved bytes, hidden capabilities). */
    ConfigMasks emulateReadOnly(int offset, int length) {
        Arrays.fill(emulated, offset, offset + length, (byte) 0xFF);
        Arrays.fill(writable, offset, offset + length, (byte) 0);
        Arrays.fill(rw1c, offset, offset + length, (byte) 0);
        return this;
    }

    /** Makes a range host-owned and read-only (passed-through capability bodies). */
    ConfigMasks hostReadOnly(int offset, int length) {
        Arrays.fill(emulated, offset, offset + length, (byte) 0);
        Arrays.fill(writable, offset, offset + length, (byte) 0);
        Arrays.fill(rw1c, offset, offset + length, (byte) 0);
        return this;
    }

    int emulated(int offset) {
        return emulated[offset] & 0xFF;
    }

    int writable(int offset) {
        return writable[offset] & 0xFF;
    }

    int rw1c(int offset) {
        return rw1c[offset] & 0xFF;
    }

    /** Bits a guest write may change on the device itself (writable and not emulated). */
    int hostWritable(int offset) {
        return writable(offset) & ~emulated(offset) & 0xFF;
    }
}
