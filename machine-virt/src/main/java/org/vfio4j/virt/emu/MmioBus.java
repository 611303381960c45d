package org.vfio4j.virt.emu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.RateLimitedLog;
import org.vfio4j.virt.board.MmioRange;

/**
 * Routes MMIO exits to the emulated device whose window holds the address.
 *
 * <p>Why unclaimed accesses are not fatal: a guest probing an address nothing decodes (an absent device in
 * its tree, a driver poking a reserved register) reads 0 and its writes are dropped, as on a bus with no
 * responder. Inside a PCIe host's windows ({@link #unclaimedReadsAllOnes}) an access no BAR claims is an
 * Unsupported Request, which a root complex completes with all ones, as Linux expects of a function that is
 * gone or powered down. Such accesses are reported at a bounded rate, so the person at the terminal sees the
 * first ones and a guest cannot flood the terminal.
 *
 * <p>Why a device's failure is not fatal either: a device model that throws (a host device that stopped
 * answering behind a trap) must not end the vCPU thread that dispatched the guest's access. The read
 * returns all ones, the write is dropped, and the failure is reported at a bounded rate.
 *
 * <p>Why copy-on-write: most devices are added before the vCPUs start, but assigned devices add and remove
 * windows while the guest runs (a BAR moved, decoding switched off, a region unmapped at teardown). Dispatch
 * reads one immutable snapshot without a lock, so a device model may hold its own lock while it changes the
 * bus, and a vCPU dispatching into that model never waits for the bus.
 */
public final class MmioBus {
    private volatile NavigableMap<Long, Entry> byBase = new TreeMap<>();
    private volatile List<MmioRange> allOnes = List.of();
    private final RateLimitedLog unclaimed;
    private final RateLimitedLog failures;

    private record Entry(MmioRange range, String name, MmioDevice device) {
    }

    /**
     * A bus reporting unclaimed accesses and device failures to {@code warnings}, each kind at most
     * {@link RateLimitedLog#STANDARD_BUDGET} lines per interval.
     */
    public MmioBus(java.util.function.Consumer<String> warnings) {
        this(RateLimitedLog.standard(warnings), RateLimitedLog.standard(warnings));
    }

    /** A bus with its two report streams given (tests drive their clocks). */
    public MmioBus(RateLimitedLog unclaimed, RateLimitedLog failures) {
        this.unclaimed = unclaimed;
        this.failures = failures;
    }

    /** Makes unclaimed reads inside {@code range} return all ones (a PCIe host's windows). */
    public synchronized void unclaimedReadsAllOnes(MmioRange range) {
        List<MmioRange> next = new ArrayList<>(allOnes);
        next.add(range);
        allOnes = List.copyOf(next);
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

    /**
     * A guest read: the device's value; when nothing decodes the address, 0 (all ones in a PCIe window); when
     * the device fails, all ones.
     */
    public long read(long address, int size) {
        Entry e = find(address, size);
        if (e == null) {
            boolean ones = inAllOnes(address);
            report("read", address, size, ones ? "all ones" : "0");
            return ones ? allOnes(size) : 0;
        }
        try {
            return e.device().read(address - e.range().base(), size);
        } catch (RuntimeException x) {
            failures.report(() -> String.format("virt: %s: guest read of %d bytes at 0x%x failed, it reads all "
                    + "ones: %s", e.name(), size, address, x));
            return allOnes(size);
        }
    }

    /** A guest write; dropped when nothing decodes the address or the device fails. */
    public void write(long address, int size, long value) {
        Entry e = find(address, size);
        if (e == null) {
            report("write", address, size, null);
            return;
        }
        try {
            e.device().write(address - e.range().base(), size, value);
        } catch (RuntimeException x) {
            failures.report(() -> String.format("virt: %s: guest write of %d bytes at 0x%x failed and was dropped: "
                    + "%s", e.name(), size, address, x));
        }
    }

    private boolean inAllOnes(long address) {
        for (MmioRange r : allOnes) {
            if (r.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static long allOnes(int size) {
        return size >= 8 ? -1L : (1L << (8 * size)) - 1;
    }

    private void report(String what, long address, int size, @Nullable String reads) {
        unclaimed.report(() -> String.format("virt: guest %s of %d bytes at 0x%x: no device there (%s)", what, size,
                address, reads == null ? "dropped" : "reads as " + reads));
    }

    /** Reports what the bus suppressed (at the end of a run). */
    public void flush() {
        unclaimed.flush();
        failures.flush();
    }
}
