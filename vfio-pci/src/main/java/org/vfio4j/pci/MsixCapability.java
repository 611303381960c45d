package org.vfio4j.pci;

import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.GuestInterrupt;

/**
 * The MSI-X capability and its table and PBA, emulated: the guest's table lives in the model, the
 * pages holding it trap, and each vector becomes a host trigger plus a machine route when the guest
 * unmasks it.
 *
 * <p>Why: like MSI, the addresses are guest addresses; and the table must trap so the model sees
 * every unmask (that is when a vector is added to the host, one by one, never dropping the live
 * ones). The PBA reads the pending bits of vectors that fired while masked. The control word's
 * enable and function-mask bits are the only writable config bits; table size and the BIR/offset
 * words are the device's.
 */
final class MsixCapability extends MessageCapability {

    static final int ID = 0x11;
    static final int LENGTH = 12;

    private final int tableSize;
    private final int tableBar;
    private final long tableOffset;
    private final int pbaBar;
    private final long pbaOffset;
    private final byte[] table;

    MsixCapability(int offset, ConfigSpace config, PciHost host, PciMachine machine,
            InterruptOwner owner) {
        super(PciIrqIndex.MSIX, offset, config, host, machine, owner);
        int control = config.hostValue(offset + 2, 2);
        int table = config.hostValue(offset + 4, 4);
        int pba = config.hostValue(offset + 8, 4);
        this.tableSize = Math.min((control & 0x7FF) + 1, Math.max(1, host.irqCount(PciIrqIndex.MSIX)));
        this.tableBar = table & 7;
        this.tableOffset = table & ~7L & 0xFFFF_FFFFL;
        this.pbaBar = pba & 7;
        this.pbaOffset = pba & ~7L & 0xFFFF_FFFFL;
        this.table = new byte[16 * tableSize];
        resetTable();
    }

    private void resetTable() {
        java.util.Arrays.fill(table, (byte) 0);
        for (int i = 0; i < tableSize; i++) {
            table[16 * i + 12] = 1;
        }
    }

    int tableSize() {
        return tableSize;
    }

    /** Declares the control word's masks; called once per start. */
    void define() {
        config.masks().define(offset + 2, 2, 0xC000, 0xC000);
        config.setEmulated(offset + 2, 2, 0);
        config.listen(offset + 2, 2, (_, _) -> apply());
    }

    private ByteRange tableRange() {
        return new ByteRange(tableOffset, tableOffset + table.length);
    }

    private ByteRange pbaRange() {
        return new ByteRange(pbaOffset, pbaOffset + 8L * Math.ceilDiv(tableSize, 64));
    }

    /** The ranges of BAR {@code bar} that must trap (table and PBA). */
    List<ByteRange> trappedRanges(int bar) {
        List<ByteRange> out = new ArrayList<>();
        if (bar == tableBar) {
            out.add(tableRange());
        }
        if (bar == pbaBar) {
            out.add(pbaRange());
        }
        return out;
    }

    /** Whether this capability handles an access to BAR {@code bar} at {@code off}. */
    boolean claims(int bar, long off, int size) {
        return bar == tableBar && tableRange().contains(off, size) || bar == pbaBar && pbaRange().contains(off, size);
    }

    /** A trapped read of the table or PBA ({@link #claims} was true). */
    long read(int bar, long off, int size) {
        if (bar == tableBar && tableRange().contains(off, size)) {
            long v = 0;
            int base = (int) (off - tableOffset);
            for (int i = 0; i < size; i++) {
                v |= (long) (table[base + i] & 0xFF) << (8 * i);
            }
            return v;
        }
        long bits = pendingWord((int) ((off - pbaOffset) / 8));
        int shift = (int) ((off - pbaOffset) % 8) * 8;
        long v = bits >>> shift;
        return size == 8 ? v : v & ((1L << (8 * size)) - 1);
    }

    private long pendingWord(int word) {
        InterruptVectors v = vectors;
        long bits = 0;
        for (int i = 0; i < 64 && v != null; i++) {
            int vector = 64 * word + i;
            if (vector < tableSize && v.pending(vector)) {
                bits |= 1L << i;
            }
        }
        return bits;
    }

    /** A trapped write of the table (PBA writes are dropped: it is read-only). */
    void write(int bar, long off, int size, long value) {
        if (!(bar == tableBar && tableRange().contains(off, size))) {
            return;
        }
        int base = (int) (off - tableOffset);
        for (int i = 0; i < size; i++) {
            int at = base + i;
            byte b = (byte) (value >>> (8 * i));
            if (at % 16 == 12) {
                b &= 1;
            } else if (at % 16 > 12) {
                b = 0;
            }
            table[at] = b;
        }
        int first = base / 16;
        int last = (base + size - 1) / 16;
        InterruptVectors v = vectors;
        if (v != null && !functionMasked()) {
            for (int i = first; i <= last; i++) {
                applyVector(v, i);
            }
        }
    }

    private boolean functionMasked() {
        return (config.emulatedValue(offset + 2, 2) & 0x4000) != 0;
    }

    private boolean entryMasked(int i) {
        return (table[16 * i + 12] & 1) != 0;
    }

    private GuestInterrupt.Msi message(int i) {
        long lo = Integer.toUnsignedLong(intAt(16 * i));
        long hi = Integer.toUnsignedLong(intAt(16 * i + 4));
        return new GuestInterrupt.Msi(hi << 32 | lo, intAt(16 * i + 8));
    }

    private int intAt(int at) {
        return table[at] & 0xFF | (table[at + 1] & 0xFF) << 8 | (table[at + 2] & 0xFF) << 16 | (table[at + 3] & 0xFF) << 24;
    }

    private void applyVector(InterruptVectors v, int i) {
        v.set(i, message(i), functionMasked() || entryMasked(i));
    }

    private void apply() {
        boolean enable = (config.emulatedValue(offset + 2, 2) & 0x8000) != 0;
        InterruptVectors v = vectors;
        if (!enable) {
            releaseVectors();
            return;
        }
        if (v == null) {
            if (!owner.acquire(PciIrqIndex.MSIX)) {
                return;
            }
            v = new InterruptVectors(PciIrqIndex.MSIX, tableSize, host, machine, () -> {});
            vectors = v;
            // The host needs at least one vector to switch the device to MSI-X.
            v.ensure(0);
        }
        for (int i = 0; i < tableSize; i++) {
            applyVector(v, i);
        }
    }

    /** Vectors currently enabled on the host. */
    int hostVectors() {
        InterruptVectors v = vectors;
        return v == null ? 0 : v.hostCount();
    }

    /** Whether vector {@code i} currently has a guest route. */
    boolean routed(int i) {
        InterruptVectors v = vectors;
        return v != null && v.routed(i);
    }

    /** Turns MSI-X off and forgets the table (device stop / reset). */
    void shutdown() {
        releaseVectors();
        resetTable();
    }
}
