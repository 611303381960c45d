package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;

import org.eclipse.jdt.annotation.Nullable;

/**
 * Guest RAM mapped once in one {@link DmaSpace} at IOVA = guest physical address, with the union of the
 * permissions the devices using that space asked for.
 *
 * <p>Why apart: the guest's container ({@link GuestContainer}) and the guest's IOAS ({@link GuestIoas}) map RAM
 * the same way. The mapping is tied to an arena of its own over the RAM's address (a view, not a copy), closed
 * with it: the RAM belongs to the caller, who frees it after the space is closed. Not thread-safe: its owner
 * calls it under its own lock.
 */
final class GuestRamMapping {
    private final MemorySegment ram;
    private final long ramBase;
    private @Nullable Arena view;
    private @Nullable DmaMapping mapping;
    private Set<DmaPermission> granted = Set.of();

    GuestRamMapping(MemorySegment ram, long ramBase) {
        this.ram = ram;
        this.ramBase = ramBase;
    }

    /**
     * Maps RAM in {@code space} if not yet, or remaps it when the union with {@code asked} needs other kernel
     * flags (the devices already running are without mappings for the length of two ioctls); returns true when
     * it (re)mapped. A union the kernel cannot express (EXEC with NO_EXEC) is refused before anything changes.
     */
    boolean grant(DmaSpace space, Set<DmaPermission> asked) {
        Set<DmaPermission> union = EnumSet.noneOf(DmaPermission.class);
        union.addAll(granted);
        union.addAll(asked);
        int flags = DmaPermission.mapFlags(union, false);
        DmaMapping old = mapping;
        if (old != null && flags == DmaPermission.mapFlags(granted, false)) {
            granted = Set.copyOf(union);
            return false;
        }
        if (old != null) {
            old.close();
            mapping = null;
        }
        Arena v = view;
        if (v == null) {
            v = Arena.ofShared();
            view = v;
        }
        MemorySegment seg = MemorySegment.ofAddress(ram.address()).reinterpret(ram.byteSize(), v, null);
        mapping = space.map(v, seg, ramBase, union);
        granted = Set.copyOf(union);
        return true;
    }

    /** The permissions RAM is mapped with; empty when it is not mapped. */
    Set<DmaPermission> granted() {
        return granted;
    }

    /** Unmaps RAM (if mapped) and closes the view; the space itself is the caller's to close. */
    void release() {
        DmaMapping m = mapping;
        Arena v = view;
        mapping = null;
        view = null;
        granted = Set.of();
        try {
            if (m != null) {
                m.close();
            }
        } finally {
            if (v != null) {
                v.close();
            }
        }
    }

    @Override
    public String toString() {
        return "guest RAM at " + Check.hex(ramBase) + (mapping != null ? ", mapped " + granted : "");
    }
}
