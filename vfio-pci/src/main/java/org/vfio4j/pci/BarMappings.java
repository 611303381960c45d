package org.vfio4j.pci;

import org.vfio4j.common.SparseArea;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.RateLimitedLog;

/**
 * Keeps the machine's guest mappings of every BAR in step with what the guest programmed.
 *
 * <p>Why: a BAR is live only while its address is valid, the command register enables its space and
 * the device is in D0; the guest may move it at any time. Out of D0 or with decoding off the host's
 * vfio-pci revokes its BAR mmaps, so the guest must lose them first: an access to a revoked mmap
 * through a KVM memory slot fails KVM_RUN itself. While a BAR is not live nothing is mapped for it and
 * the machine answers guest accesses there as it does for any address no device decodes. On each change the affected BAR is unmapped and mapped
 * again as a partition of pieces: the mmap-able areas minus the pages that must trap (MSI-X table,
 * PBA) go straight to the device, the rest traps to the model. Direct mapping is switched off as a
 * whole for {@code x-no-mmap} and, temporarily, while the INTx fallback needs every access to trap.
 */
final class BarMappings implements AutoCloseable {

    private record Live(long address, boolean direct, List<PciBarMapper.Mapping> mappings) {}

    private final PciHost host;
    private final PciBarMapper mapper;
    private final List<PciBar> bars;
    private final boolean noMmap;
    private final IntFunction<List<ByteRange>> trappedRanges;
    private final IntFunction<TrapHandler> handlers;
    private final Map<Integer, Live> live = new HashMap<>();
    private final RateLimitedLog warnings;
    private boolean memoryEnabled;
    private boolean ioEnabled;
    private boolean powered = true;
    private boolean mmapSuspended;

    /**
     * @param trappedRanges per BAR index, ranges that must never be mapped directly (MSI-X)
     * @param handlers per BAR index, the handler of trapped accesses (offsets relative to the BAR)
     */
    BarMappings(PciHost host, PciBarMapper mapper, List<PciBar> bars, boolean noMmap,
            IntFunction<List<ByteRange>> trappedRanges, IntFunction<TrapHandler> handlers, RateLimitedLog warnings) {
        this.warnings = warnings;
        this.host = host;
        this.mapper = mapper;
        this.bars = bars;
        this.noMmap = noMmap;
        this.trappedRanges = trappedRanges;
        this.handlers = handlers;
    }

    /** Records the command register's decode enables. */
    void setDecoding(boolean memory, boolean io) {
        memoryEnabled = memory;
        ioEnabled = io;
    }

    /** Records whether the device is in D0 (its BARs decode only then). */
    void setPowered(boolean d0) {
        powered = d0;
    }

    boolean powered() {
        return powered;
    }

    /** Suspends or resumes direct mappings (INTx fallback). */
    void setMmapSuspended(boolean suspended) {
        mmapSuspended = suspended;
    }

    boolean mmapSuspended() {
        return mmapSuspended;
    }

    /** Brings every BAR's guest mappings up to date with {@code config}. */
    void update(ConfigSpace config) {
        for (PciBar bar : bars) {
            boolean enabled = powered && (bar.space() == BarSpace.IO ? ioEnabled : memoryEnabled);
            long address = enabled ? bar.guestAddress(config) : -1;
            boolean direct = address >= 0 && directAllowed(bar, address);
            Live current = live.get(bar.index());
            if (current != null && current.address() == address && current.direct() == direct) {
                continue;
            }
            unmap(bar.index());
            if (address >= 0) {
                List<PciBarMapper.Mapping> pieces = map(bar, address, direct);
                if (pieces != null) {
                    live.put(bar.index(), new Live(address, direct, pieces));
                }
            }
        }
    }

    /** The guest address a BAR is mapped at, or -1. */
    long mappedAddress(int index) {
        Live l = live.get(index);
        return l == null ? -1 : l.address();
    }

    /** Whether a BAR currently has direct (mmapped) pieces. */
    boolean directlyMapped(int index) {
        Live l = live.get(index);
        return l != null && l.direct();
    }

    private boolean directAllowed(PciBar bar, long address) {
        return !noMmap && !mmapSuspended && bar.space() == BarSpace.MEMORY && address % host.pageSize() == 0;
    }

    /** Maps every piece of {@code bar} at {@code address}; null, with nothing left mapped, when a piece fails. */
    private @Nullable List<PciBarMapper.Mapping> map(PciBar bar, long address, boolean direct) {
        List<PciBarMapper.Mapping> out = new ArrayList<>();
        try {
            mapPieces(bar, address, direct, out);
            return out;
        } catch (RuntimeException e) {
            close(out);
            warnings.report(String.format("%s: BAR%d at 0x%x not mapped, it decodes nothing: %s", host.name(),
                    bar.index(), address, e.getMessage()));
            return null;
        }
    }

    private void mapPieces(PciBar bar, long address, boolean direct, List<PciBarMapper.Mapping> out) {
        List<ByteRange> directRanges = new ArrayList<>();
        PciHostRegion region = host.hostRegion(bar.index()).orElseThrow();
        if (direct && region.mappable()) {
            List<ByteRange> holes = new ArrayList<>();
            for (ByteRange r : trappedRanges.apply(bar.index())) {
                holes.add(r.pageAligned(host.pageSize()));
            }
            for (SparseArea area : region.mmapAreas()) {
                @Nullable MemorySegment segment = null;
                for (ByteRange piece : ByteRange.subtract(List.of(new ByteRange(area.offset(), area.offset() + area.size())), holes)) {
                    if (segment == null) {
                        segment = region.map(area);
                    }
                    MemorySegment slice = segment.asSlice(piece.start() - area.offset(), piece.size());
                    out.add(mapper.mapDirect(address + piece.start(), slice));
                    directRanges.add(piece);
                }
            }
        }
        TrapHandler handler = handlers.apply(bar.index());
        for (ByteRange gap : ByteRange.gaps(bar.size(), ByteRange.subtract(directRanges, List.of()))) {
            out.add(mapper.mapTrapped(bar.space(), address + gap.start(), gap.size(), offsetBy(handler, gap.start())));
        }
    }

    private static TrapHandler offsetBy(TrapHandler handler, long base) {
        if (base == 0) {
            return handler;
        }
        return new TrapHandler() {
            @Override
            public long read(long offset, int size) {
                return handler.read(base + offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                handler.write(base + offset, size, value);
            }
        };
    }

    private void unmap(int index) {
        Live l = live.remove(index);
        if (l != null) {
            close(l.mappings());
        }
    }

    private static void close(List<PciBarMapper.Mapping> mappings) {
        for (PciBarMapper.Mapping m : mappings.reversed()) {
            m.close();
        }
    }

    /** Removes every guest mapping. */
    @Override
    public void close() {
        for (PciBar bar : bars) {
            unmap(bar.index());
        }
    }
}
