package org.vfio4j.pci;

import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.RateLimitedLog;

/**
 * The guest's view of config space: each access is split bit by bit between the emulated copy and
 * the device according to {@link ConfigMasks}, then the registers it touched are told.
 *
 * <p>Why: it is the single place where the host-owned bits are protected; every other part of the
 * model (BARs, MSI, MSI-X, ROM) only declares masks and reacts to writes. Accesses outside the config
 * space read as all ones and writes there are dropped, like a missing register on a real bus; so does
 * an access the device fails (EIO from a device in reset, removed or hung), reported at a bounded
 * rate. No guest access can throw.
 *
 * <p>Some writes must be prepared for before they reach the device: turning memory decoding off or
 * leaving D0 makes the host's vfio-pci revoke its BAR mmaps, so whatever maps them into the guest
 * has to let go first. {@link #listenBefore} listeners run before the device sees the write.
 */
final class ConfigSpace {

    /** Reacts after a guest write touched {@code [offset, offset + length)}. */
    interface WriteListener {
        void written(int offset, int size);
    }

    /** Prepares for a guest write of {@code value} to {@code [offset, offset + size)} that has not happened yet. */
    interface BeforeWrite {
        void writing(int offset, int size, int value);
    }

    private record Listener(int offset, int length, WriteListener listener) {
        boolean overlaps(int start, int size) {
            return start < offset + length && offset < start + size;
        }
    }

    private record Before(int offset, int length, BeforeWrite listener) {
        boolean overlaps(int start, int size) {
            return start < offset + length && offset < start + size;
        }
    }

    private final PciHost host;
    private final ConfigMasks masks;
    private final RateLimitedLog warnings;
    private final byte[] emulated;
    private final List<Listener> listeners = new ArrayList<>();
    private final List<Before> before = new ArrayList<>();

    /** Starts with the emulated copy equal to the device's current config space. */
    ConfigSpace(PciHost host, ConfigMasks masks, RateLimitedLog warnings) {
        this.host = host;
        this.masks = masks;
        this.warnings = warnings;
        this.emulated = new byte[masks.size()];
        for (int off = 0; off < emulated.length; off += 4) {
            int v = hostRead(off, 4);
            for (int i = 0; i < 4; i++) {
                emulated[off + i] = (byte) (v >>> (8 * i));
            }
        }
    }

    ConfigMasks masks() {
        return masks;
    }

    int size() {
        return emulated.length;
    }

    void listen(int offset, int length, WriteListener listener) {
        listeners.add(new Listener(offset, length, listener));
    }

    /** Calls {@code listener} before a guest write overlapping {@code [offset, offset + length)} reaches the device. */
    void listenBefore(int offset, int length, BeforeWrite listener) {
        before.add(new Before(offset, length, listener));
    }

    /**
     * What register {@code [register, register + width)} will read as once the guest write of {@code value} to
     * {@code [offset, offset + size)} is done: the bytes the write covers change where they are writable.
     */
    int projected(int register, int width, int offset, int size, int value) {
        int v = read(register, width);
        for (int i = 0; i < width; i++) {
            int at = register + i - offset;
            if (at >= 0 && at < size) {
                int w = masks.writable(register + i);
                int b = (v >>> (8 * i)) & ~w | (value >>> (8 * at)) & w;
                v = v & ~(0xFF << (8 * i)) | (b & 0xFF) << (8 * i);
            }
        }
        return v;
    }

    /** Sets the emulated copy (model-owned state; does not touch the device, no listeners). */
    void setEmulated(int offset, int width, long value) {
        for (int i = 0; i < width; i++) {
            emulated[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    /** The emulated copy of a register (ignoring masks). */
    long emulatedValue(int offset, int width) {
        long v = 0;
        for (int i = 0; i < width; i++) {
            v |= (long) (emulated[offset + i] & 0xFF) << (8 * i);
        }
        return v;
    }

    /** Reads the device directly, bypassing virtualisation (for registers the model passes through). */
    int hostValue(int offset, int size) {
        return hostRead(offset, size);
    }

    private int hostRead(int offset, int size) {
        try {
            return host.readConfig(offset, size);
        } catch (RuntimeException e) {
            warnings.report(host.name() + ": config read of " + size + " bytes at 0x" + Integer.toHexString(offset)
                    + " failed, the guest reads all ones: " + e.getMessage());
            return size >= 4 ? -1 : (1 << (8 * size)) - 1;
        }
    }

    /**
     * Merges the guest's writable bits into the device's current value and writes that; when either access
     * fails the write is dropped whole (a failed read must not turn into ones written over host-owned bits).
     */
    private void writeThrough(int offset, int size, int value) {
        try {
            int current = host.readConfig(offset, size);
            int out = 0;
            for (int i = 0; i < size; i++) {
                int pass = masks.hostWritable(offset + i);
                int b = (value >>> (8 * i)) & pass | (current >>> (8 * i)) & ~pass & ~masks.rw1c(offset + i);
                out |= (b & 0xFF) << (8 * i);
            }
            host.writeConfig(offset, size, out);
        } catch (RuntimeException e) {
            warnings.report(host.name() + ": config write of " + size + " bytes at 0x" + Integer.toHexString(offset)
                    + " failed and was dropped: " + e.getMessage());
        }
    }

    /** Guest read. */
    int read(int offset, int size) {
        if (!valid(offset, size)) {
            return size >= 4 ? -1 : (1 << (8 * size)) - 1;
        }
        boolean needHost = false;
        for (int i = 0; i < size; i++) {
            needHost |= masks.emulated(offset + i) != 0xFF;
        }
        int hostBits = needHost ? hostRead(offset, size) : 0;
        int v = 0;
        for (int i = 0; i < size; i++) {
            int em = masks.emulated(offset + i);
            int b = ((hostBits >>> (8 * i)) & ~em | emulated[offset + i] & em) & 0xFF;
            v |= b << (8 * i);
        }
        return v;
    }

    /** Guest write. */
    void write(int offset, int size, int value) {
        if (!valid(offset, size)) {
            return;
        }
        for (Before b : List.copyOf(before)) {
            if (b.overlaps(offset, size)) {
                b.listener().writing(offset, size, value);
            }
        }
        boolean toHost = false;
        for (int i = 0; i < size; i++) {
            int b = (value >>> (8 * i)) & 0xFF;
            int keep = masks.emulated(offset + i) & masks.writable(offset + i);
            emulated[offset + i] = (byte) (emulated[offset + i] & ~keep | b & keep);
            toHost |= masks.hostWritable(offset + i) != 0;
        }
        if (toHost) {
            writeThrough(offset, size, value);
        }
        for (Listener l : List.copyOf(listeners)) {
            if (l.overlaps(offset, size)) {
                l.listener().written(offset, size);
            }
        }
    }

    private boolean valid(int offset, int size) {
        return (size == 1 || size == 2 || size == 4) && offset >= 0 && offset + size <= emulated.length;
    }
}
