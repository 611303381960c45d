package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The live DMA mappings of one container whose memory one {@code Arena} owns, and the cleanup action that
 * unmaps them all when that arena closes.
 *
 * <p>Why: the device must lose access before the arena frees the memory. An arena runs its cleanup actions
 * last-registered first (JDK 25 {@code MemorySessionImpl.ResourceList}: each action is pushed on the head of
 * a list that is walked from the head), and the memory of a segment is freed by an action registered when it
 * was allocated. So {@link DmaMapper#map} registers this tie on the arena once per mapping, after that
 * segment's allocation: whichever registration runs first is later than every mapped segment's allocation
 * and unmaps them all; the others find nothing left. The mappings are a doubly-linked list threaded through
 * {@link DmaMapping} (no allocation per mapping), and an unmapped mapping is unlinked at once, so the arena
 * keeps no closed mapping (or its segment) reachable.
 */
final class ArenaTie implements Consumer<MemorySegment> {
    final MemorySegment.Scope scope;
    private final DmaMapper mapper;
    private @Nullable DmaMapping first;

    ArenaTie(MemorySegment.Scope scope, DmaMapper mapper) {
        this.scope = scope;
        this.mapper = mapper;
    }

    void add(DmaMapping m) {
        DmaMapping f = first;
        m.arenaPrev = null;
        m.arenaNext = f;
        if (f != null) {
            f.arenaPrev = m;
        }
        first = m;
    }

    void remove(DmaMapping m) {
        DmaMapping p = m.arenaPrev;
        DmaMapping n = m.arenaNext;
        if (p == null) {
            first = n;
        } else {
            p.arenaNext = n;
        }
        if (n != null) {
            n.arenaPrev = p;
        }
        m.arenaPrev = null;
        m.arenaNext = null;
    }

    /** A live mapping of this arena, if any. */
    @Nullable DmaMapping first() {
        return first;
    }

    /** Runs when the arena closes (from the arena's close, on the closing thread). */
    @Override
    public void accept(MemorySegment ignored) {
        mapper.arenaClosing(this);
    }
}
