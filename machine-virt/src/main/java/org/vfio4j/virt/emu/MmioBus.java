package org.vfio4j.virt.emu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.board.MmioRange;

/**
 * Routes MMIO exits to the emulated device whose window holds the address.
 *
 * <p>Why unclaimed accesses are not fatal: a guest probing an address nothing decodes (an absent device in
 * its tree, a driver poking a reserved register) reads 0 and its writes are dropped, as on a bus with no
 * responder; the first such access per page is reported once so the person at the terminal sees it.
 *
 * <p>Why copy-on-write: most devices are added before the vCPUs start, but assigned devices add and remove
 * windows while the guest runs (a BAR moved, decoding switched off, a region unmapped at teardown). Dispatch
 * reads one immutable snapshot without a lock, so a device model may hold its own lock while it changes the
 * bus, and a vCPU dispatching into that model never waits for the bus.
 */
public final class MmioBus {
    private volatile NavigableMap<Long, Entry> byBase = new TreeMap<>();
    private final Map<Long, Boolean> reported = new ConcurrentHashMap<>();
    private final Consumer<String> warnings;

    private record Entry(MmioRange range, String name, MmioDevice device) {
    }

    /** A bus reporting unclaimed accesses to {@code warnings}. */
    public MmioBus(Consumer<String> warnings) {
        this.warnings = warnings;
    }

    /** A device's place on the bus; closing it takes the device off (later accesses are unclaimed). */
    public interface Window extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Adds {@code device} at {@code range}, from any thread, also while vCPUs run.
     *
     * @return the window, to close when the device leaves the range
     * @throws IllegalArgumentException if the range overlaps a device already on the bus
     */
    public synchronized Window add(MmioRange range, String name, MmioDevice device) {
        for (Entry e : byBase.values()) {
            if (e.range().overlaps(range)) {
                throw new IllegalArgumentException(name + " at " + range + " overlaps " + e.name() + " at " + e.range());
            }
        }
        Entry entry = new Entry(range, name, device);
        TreeMap<Long, Entry> next = new TreeMap<>(byBase);
        next.put(range.base(), entry);
        byBase = next;
        return () -> remove(entry);
    }

    private synchronized void remove(Entry entry) {
        if (byBase.get(entry.range().base()) == entry) {
            TreeMap<Long, Entry> next = new TreeMap<>(byBase);
            next.remove(entry.range().base());
            byBase = next;
        }
    }

    /** The devices on the bus as "name range", in address order. */
    public List<String> describe() {
        List<String> l = new ArrayList<>();
        byBase.values().forEach(e -> l.add(e.name() + " " + e.range()));
        return l;
    }

    private @Nullable Entry find(long address, int size) {
        Map.Entry<Long, Entry> e = byBase.floorEntry(address);
        if (e == null) {
            return null;
        }
        Entry d = e.getValue();
        return address + size <= d.range().end() ? d : null;
    }

    /** A guest read: the device's value, or 0 when nothing decodes the address. */
    public long read(long address, int size) {
        Entry e = find(address, size);
        if (e == null) {
            unclaimed("read", address, size);
            return 0;
        }
        return e.device().read(address - e.range().base(), size);
    }

    /** A guest write; dropped when nothing decodes the address. */
    public void write(long address, int size, long value) {
        Entry e = find(address, size);
        if (e == null) {
            unclaimed("write", address, size);
            return;
        }
        e.device().write(address - e.range().base(), size, value);
    }

    private void unclaimed(String what, long address, int size) {
        if (reported.putIfAbsent(address & ~0xfffL, Boolean.TRUE) == null) {
            warnings.accept(String.format("virt: guest %s of %d bytes at 0x%x: no device there (reads as 0; "
                    + "reported once per page)", what, size, address));
        }
    }
}
