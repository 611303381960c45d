package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * What one container knows about one {@code Arena} that owns memory it has mapped: how many live mappings
 * that memory has, and the cleanup action that unmaps them all when the arena closes.
 *
 * <p>Why: the device must lose access before the arena frees the memory. An arena runs its cleanup actions
 * last-registered first (JDK 25 {@code MemorySessionImpl.ResourceList}: each action is pushed on the head of
 * a list that is walked from the head), and the memory of a segment is freed by an action registered when it
 * was allocated. So {@link DmaMapper#map} registers this tie on the arena once per mapping, after that
 * segment's allocation: whichever registration runs first is later than every mapped segment's allocation
 * and unmaps them all; the others find nothing left. A {@link DmaArena} owns its tie and calls
 * {@link DmaMapper#arenaClosing} itself before it frees anything, so its tie is never registered. The
 * mappings themselves are entries of the container's {@link IovaIndex}, each naming its tie; the tie keeps
 * only their count and the arena (segments handed out by {@link VfioContainer#mappings()} are rebuilt with
 * it, so they have the arena's lifetime).
 */
final class ArenaTie implements Consumer<MemorySegment> {
    final MemorySegment.Scope scope;
    final Arena arena;
    /** True for a {@link DmaArena}'s tie: the arena unmaps before it frees, so nothing is registered on it. */
    final boolean arenaUnmapsFirst;
    private final DmaMapper mapper;
    /** Live mappings of this arena's memory in the mapper's container (guarded by the mapper). */
    int live;

    ArenaTie(Arena arena, DmaMapper mapper, boolean arenaUnmapsFirst) {
        this.scope = arena.scope();
        this.arena = arena;
        this.mapper = mapper;
        this.arenaUnmapsFirst = arenaUnmapsFirst;
    }

    /** Runs when the arena closes (from the arena's close, on the closing thread). */
    @Override
    public void accept(MemorySegment ignored) {
        mapper.arenaClosing(this);
    }
}
