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
 * enable and function-mask bits are the only writable config bits; the BIR/offset words are the
 * device's.
 *
 * <p>The table size the guest sees is the number of vectors VFIO offers, when that is fewer than the
 * device's table holds (QEMU does the same): a guest must not program entries that can never fire.
 * The device's whole table and PBA still trap, so nothing past the guest's table reaches the device;
 * there the table reads zero and ignores writes. An access that straddles the edge of the table or
 * the PBA reads all ones and is dropped, as is every write to the PBA.
 */
final class MsixCapability extends MessageCapability {

    static final int ID = 0x11;
    static final int LENGTH = 12;

    private final int tableSize;
    private final int deviceEntries;
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
        this.deviceEntries = (control & 0x7FF) + 1;
        this.tableSize = Math.min(deviceEntries, Math.max(1, host.irqCount(PciIrqIndex.MSIX)));
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
        config.masks().define(offset + 2, 2, 0xC7FF, 0xC000);
        config.setEmulated(offset + 2, 2, tableSize - 1);
        config.listen(offset + 2, 2, (_, _) -> apply());
    }

    /** The device's table: the guest's entries, then those VFIO gives no vector for. */
    private ByteRange tableRange() {
        return new ByteRange(tableOffset, tableOffset + 16L * deviceEntries);
    }

    private ByteRange pbaRange() {
        return new ByteRange(pbaOffset, pbaOffset + 8L * Math.ceilDiv(deviceEntries, 64));
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

    /** Whether this capability handles an access to BAR {@code bar} at {@code off}: it touches the table or PBA. */
    boolean claims(int bar, long off, int size) {
        return bar == tableBar && tableRange().overlaps(off, size) || bar == pbaBar && pbaRange().overlaps(off, size);
    }

    /** A trapped read of the table or PBA ({@link #claims} was true). */
    long read(int bar, long off, int size) {
        if (bar == tableBar && tableRange().contains(off, size)) {
            long v = 0;
            int base = (int) (off - tableOffset);
            for (int i = 0; i < size && base + i < table.length; i++) {
                v |= (long) (table[base + i] & 0xFF) << (8 * i);
            }
            return v;
        }
        if (!(bar == pbaBar && pbaRange().contains(off, size))) {
            return size == 8 ? -1L : (1L << (8 * size)) - 1;   // straddles an edge
        }
        long bits = pendingWord((int) ((off - pbaOffset) / 8));
        int shift = (int) ((off - pbaOffset) % 8) * 8;
        long v = bits >>> shift;
        if (shift + 8 * size > 64) {
            v |= pendingWord((int) ((off - pbaOffset) / 8) + 1) << (64 - shift);
        }
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

    /** A trapped write of the table (PBA writes and straddling writes are dropped). */
    void write(int bar, long off, int size, long value) {
        if (!(bar == tableBar && tableRange().contains(off, size)) || off - tableOffset + size > table.length) {
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
