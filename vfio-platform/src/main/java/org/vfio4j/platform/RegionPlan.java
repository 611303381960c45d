package org.vfio4j.platform;

import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.RegionInfo;
import org.vfio4j.common.SparseArea;

/**
 * How one VFIO region reaches the guest: which parts are mapped (a memory slot over the region's mmap, no
 * exits) and which are trapped (each access a pread/pwrite on the device fd).
 *
 * <p>Why a plan as data: the choice is pure (region flags, mmap areas, {@code x-no-mmap}, the IRQ fallback)
 * and is unit-tested without a device; {@link PlatformPassthrough} carries it out.
 *
 * @param region the region index
 * @param pieces the parts in offset order, covering the whole region
 */
public record RegionPlan(int region, List<Piece> pieces) {
    public RegionPlan {
        pieces = List.copyOf(pieces);
    }

    /** One part of a region. Sealed: a part is either mapped or trapped. */
    public sealed interface Piece {
        /** Offset in the region. */
        long offset();

        /** Length in bytes. */
        long size();
    }

    /** Mapped from the mmap of {@code area}. */
    public record Mapped(SparseArea area) implements Piece {
        @Override
        public long offset() {
            return area.offset();
        }

        @Override
        public long size() {
            return area.size();
        }
    }

    /** Trapped to user space. */
    public record Trapped(long offset, long size) implements Piece {
    }

    /**
     * The plan for {@code info}: its mmap-able areas mapped and the gaps between them trapped, or everything
     * trapped when {@code trapAll} ({@code x-no-mmap}, or a level IRQ on the user-space unmask fallback, which
     * must see the guest's accesses).
     */
    public static RegionPlan of(RegionInfo info, boolean trapAll) {
        List<Piece> out = new ArrayList<>();
        long at = 0;
        if (!trapAll) {
            List<SparseArea> areas = new ArrayList<>(info.mmapAreas());
            areas.sort((a, b) -> Long.compare(a.offset(), b.offset()));
            for (SparseArea a : areas) {
                if (a.offset() > at) {
                    out.add(new Trapped(at, a.offset() - at));
                }
                out.add(new Mapped(a));
                at = Math.max(at, a.offset() + a.size());
            }
        }
        if (at < info.size()) {
            out.add(new Trapped(at, info.size() - at));
        }
        return new RegionPlan(info.index(), out);
    }
}
