package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.eclipse.jdt.annotation.Nullable;

/**
 * An {@link Arena} for memory that one container maps for DMA: closing it first unmaps every mapping this
 * container holds of its memory, then frees the memory, whatever order the memory was allocated and mapped in.
 *
 * <p>Why: any arena can own DMA memory ({@link VfioContainer#map}), but for a foreign arena the container can
 * only get its unmap run before the arena's frees by registering a cleanup on that arena after each mapped
 * segment's allocation, once per mapping (the JDK runs an arena's cleanups last-registered first, and no
 * public API tells whether anything was allocated since the last registration). That registration is
 * garbage that lives as long as the arena: about 50 bytes and an atomic update per mapping, which is most of
 * what a user-level driver mapping many small buffers pays above the ioctl itself. This arena closes
 * itself, so the order holds by construction and a mapping costs only its {@link DmaMapping}.
 *
 * <p>The memory is shared: any thread may use it until {@link #close()}. Mappings of this arena's memory in
 * another container are unmapped on close too, through the general per-mapping registration.
 *
 * {@snippet :
 * try (DmaArena pool = container.newDmaArena()) {
 *     MemorySegment ring = pool.allocate(4096, 4096);
 *     container.map(pool, ring, 0x10_0000L, DmaPermission.READ_WRITE);
 * } // unmapped, then freed
 * }
 */
public final class DmaArena implements Arena {
    private final Arena memory = Arena.ofShared();
    private final DmaMapper mapper;
    private final ArenaTie tie;

    DmaArena(DmaMapper mapper) {
        this.mapper = mapper;
        this.tie = new ArenaTie(this, mapper, true);
    }

    /** The tie of this arena's mappings in {@code m}'s container, or null for another container's mapper. */
    @Nullable ArenaTie tieFor(DmaMapper m) {
        return m == mapper ? tie : null;
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        return memory.allocate(byteSize, byteAlignment);
    }

    @Override
    public MemorySegment.Scope scope() {
        return memory.scope();
    }

    /**
     * Unmaps this container's mappings of the arena's memory, then frees it. If the memory is still in use by
     * another thread's native call, the JDK refuses to free it ({@link IllegalStateException}): the mappings are
     * gone by then, and a later {@code close()} frees the memory.
     */
    @Override
    public void close() {
        mapper.arenaClosing(tie);
        memory.close();
    }

    @Override
    public String toString() {
        return "DMA arena" + (memory.scope().isAlive() ? "" : " (closed)");
    }
}
