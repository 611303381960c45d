package org.vfio4j.pci;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.SparseArea;

/**
 * An in-memory host device: a raw config space where every write lands (so a leak past the model's
 * protection shows up), BAR regions backed by heap memory, and VFIO-like interrupt bookkeeping.
 */
final class FakePciHost implements PciHost {

    final byte[] config;
    final Map<Integer, FakeRegion> regions = new HashMap<>();
    final Map<PciIrqIndex, Integer> irqCounts = new EnumMap<>(PciIrqIndex.class);
    final Map<PciIrqIndex, Map<Integer, @Nullable EventFd>> triggers = new EnumMap<>(PciIrqIndex.class);
    final List<String> log = new ArrayList<>();
    final List<Integer> configWrites = new ArrayList<>();
    /** Every eventfd the model handed to the host. */
    final List<EventFd> seen = new ArrayList<>();
    boolean resizable;
    /** Makes every config access fail as VFIO does with EIO (a device in reset, removed or hung). */
    boolean configFails;
    /** Called with (offset, value) before each config write lands, to see what the model did first. */
    java.util.function.@Nullable BiConsumer<Integer, Integer> beforeConfigWrite;
    int resets;
    int intxUnmasks;
    @Nullable EventFd intxUnmaskTrigger;

    FakePciHost(byte[] config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "0000:00:04.0";
    }

    @Override
    public int configSize() {
        return config.length;
    }

    @Override
    public int readConfig(int offset, int size) {
        if (configFails) {
            throw new IllegalStateException("pread of config space: EIO (test)");
        }
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (config[offset + i] & 0xFF) << (8 * i);
        }
        return v;
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        if (configFails) {
            throw new IllegalStateException("pwrite of config space: EIO (test)");
        }
        var before = beforeConfigWrite;
        if (before != null) {
            before.accept(offset, value);
        }
        configWrites.add(offset);
        for (int i = 0; i < size; i++) {
            config[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    @Override
    public Optional<PciHostRegion> hostRegion(int index) {
        return Optional.ofNullable(regions.get(index));
    }

    @Override
    public long pageSize() {
        return 4096;
    }

    @Override
    public int irqCount(PciIrqIndex index) {
        return irqCounts.getOrDefault(index, 0);
    }

    @Override
    public boolean irqResizable(PciIrqIndex index) {
        return resizable && index == PciIrqIndex.MSIX;
    }

    @Override
    public void setIrqTriggers(PciIrqIndex index, int start, List<@Nullable EventFd> list) {
        for (PciIrqIndex other : triggers.keySet()) {
            if (other != index && !triggers.get(other).isEmpty()) {
                throw new IllegalStateException("VFIO would refuse: " + other + " is enabled while enabling " + index);
            }
        }
        if (start + list.size() > irqCount(index)) {
            throw new IllegalStateException("VFIO would refuse: " + index + " has " + irqCount(index) + " vectors");
        }
        Map<Integer, @Nullable EventFd> map = triggers.computeIfAbsent(index, k -> new HashMap<>());
        if (!map.isEmpty() && start + list.size() > map.size() && !irqResizable(index)) {
            throw new IllegalStateException("VFIO would refuse to grow " + index + " (NORESIZE)");
        }
        for (int i = 0; i < list.size(); i++) {
            EventFd e = list.get(i);
            if (e != null) {
                seen.add(e);
            }
            map.put(start + i, e);
        }
        log.add("set " + index + " " + start + "+" + list.size());
    }

    @Override
    public void disableIrq(PciIrqIndex index) {
        Map<Integer, @Nullable EventFd> map = triggers.get(index);
        if (map != null) {
            map.clear();
        }
        if (index == PciIrqIndex.INTX) {
            intxUnmaskTrigger = null;
        }
        log.add("disable " + index);
    }

    @Override
    public void unmaskIntx() {
        intxUnmasks++;
    }

    @Override
    public void unmaskIntxOn(EventFd resample) {
        seen.add(resample);
        intxUnmaskTrigger = resample;
    }

    @Override
    public boolean resetDevice() {
        resets++;
        return true;
    }

    /** The device raises a vector: VFIO signals its trigger, if one is set. */
    boolean fire(PciIrqIndex index, int vector) {
        Map<Integer, @Nullable EventFd> map = triggers.get(index);
        EventFd t = map == null ? null : map.get(vector);
        if (t == null) {
            return false;
        }
        t.signal();
        return true;
    }

    int enabledVectors(PciIrqIndex index) {
        Map<Integer, @Nullable EventFd> map = triggers.get(index);
        return map == null ? 0 : map.size();
    }

    /** A BAR or ROM backed by heap memory. */
    static final class FakeRegion implements PciHostRegion {
        final MemorySegment memory;
        final List<SparseArea> areas;
        int reads;
        int writes;

        FakeRegion(long size, List<SparseArea> areas) {
            this.memory = java.lang.foreign.Arena.ofAuto().allocate(size, 4096);
            this.areas = areas;
        }

        @Override
        public long size() {
            return memory.byteSize();
        }

        @Override
        public boolean mappable() {
            return !areas.isEmpty();
        }

        @Override
        public List<SparseArea> mmapAreas() {
            return areas;
        }

        @Override
        public long read(long offset, int size) {
            reads++;
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= (long) (memory.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF) << (8 * i);
            }
            return v;
        }

        @Override
        public void write(long offset, int size, long value) {
            writes++;
            for (int i = 0; i < size; i++) {
                memory.set(ValueLayout.JAVA_BYTE, offset + i, (byte) (value >>> (8 * i)));
            }
        }

        @Override
        public MemorySegment map(SparseArea area) {
            return memory.asSlice(area.offset(), area.size());
        }
    }
}
