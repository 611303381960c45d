package org.vfio4j.virt.emu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Devices are added before the vCPUs start; dispatch is then read-only and safe from every vCPU thread.
 */
public final class MmioBus {
    private final TreeMap<Long, Entry> byBase = new TreeMap<>();
    private final Map<Long, Boolean> reported = new ConcurrentHashMap<>();
    private final Consumer<String> warnings;

    private record Entry(MmioRange range, String name, MmioDevice device) {
    }

    /** A bus reporting unclaimed accesses to {@code warnings}. */
    public MmioBus(Consumer<String> warnings) {
        this.warnings = warnings;
    }

    /**
     * Adds {@code device} at {@code range}.
     *
     * @throws IllegalArgumentException if the range overlaps a device already on the bus
     */
    public synchronized void add(MmioRange range, String name, MmioDevice device) {
        for (Entry e : byBase.values()) {
            if (e.range().overlaps(range)) {
                throw new IllegalArgumentException(name + " at " + range + " overlaps " + e.name() + " at " + e.range());
            }
        }
        byBase.put(range.base(), new Entry(range, name, device));
    }

    /** The devices on the bus as "name range", in address order. */
    public synchronized List<String> describe() {
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
