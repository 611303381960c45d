package org.vfio4j.common;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

import org.eclipse.jdt.annotation.Nullable;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.common.sys.VfioAbi.DmaMap;
import org.vfio4j.common.sys.VfioAbi.DmaUnmap;

/**
 * The container's DMA bookkeeping: every mapping by IOVA (for overlap checks and IOVA allocation) and by the
 * arena that owns its memory (so closing the arena unmaps first). One ioctl per map and per unmap; the
 * argument structs are allocated once (used under this object's lock). A mapping costs one object, the
 * {@link DmaMapping} itself (the arena's list is threaded through it; the IOVA index holds it in shared arrays), plus the arena's
 * own record of the cleanup registration.
 */
final class DmaMapper {
    private final int containerFd;
    private final IovaIndex byIova = new IovaIndex();
    /** An upper bound (unsigned) of the end of every mapping: IOVAs at or above it overlap nothing. */
    private long maxEnd;
    /** One tie per arena with live mappings; dropped when its last mapping goes, so no arena is kept alive. */
    private final Map<MemorySegment.Scope, ArenaTie> ties = new HashMap<>();
    /** The tie used last (most callers map from one arena at a time); null when it was dropped. */
    private @Nullable ArenaTie lastTie;
    private final Arena argArena = Arena.ofShared();
    private final MemorySegment mapArg = argArena.allocate(DmaMap.LAYOUT);
    private final MemorySegment unmapArg = argArena.allocate(DmaUnmap.LAYOUT);
    private boolean closed;

    DmaMapper(int containerFd) {
        this.containerFd = containerFd;
        DmaMap.ARGSZ.set(mapArg, (int) DmaMap.LAYOUT.byteSize());
        DmaUnmap.ARGSZ.set(unmapArg, (int) DmaUnmap.LAYOUT.byteSize());
    }

    synchronized DmaMapping map(Arena owner, MemorySegment seg, long iova, Set<DmaPermission> perms, IommuInfo info) {
        Check.open(closed, "VFIO container");
        int flags = DmaPermission.mapFlags(perms, false);
        if (!seg.isNative() || !seg.scope().isAlive()) {
            throw new IllegalArgumentException(op(seg, iova) + ": the segment must be native memory that is still alive");
        }
        MemorySegment.Scope scope = owner.scope();
        if (!seg.scope().equals(scope)) {
            throw new IllegalArgumentException(op(seg, iova) + ": the segment does not belong to the given arena; pass "
                    + "the arena that allocated it, so closing that arena unmaps the DMA before the memory is freed");
        }
        long page = info.minPageSize();
        long size = seg.byteSize();
        if (size == 0 || (seg.address() | size | iova) % page != 0) {
            throw VfioException.refused(op(seg, iova), "address " + Check.hex(seg.address()) + ", size and IOVA must "
                    + "be non-zero multiples of the IOMMU page size " + page + " (allocate with arena.allocate(size, "
                    + page + "))");
        }
        if (!inValidRange(info.iovaRanges(), iova, size)) {
            throw VfioException.refused(op(seg, iova), "[" + Check.hex(iova) + ", " + Check.hex(iova + size)
                    + ") is outside the container's valid IOVA ranges " + info.iovaRanges()
                    + "; choose an IOVA inside one of them, or use VfioContainer.allocate() to have one picked");
        }
        DmaMapping clash = overlapping(iova, size);
        if (clash != null) {
            throw VfioException.refused(op(seg, iova), "it overlaps the existing " + clash
                    + "; close that mapping first or choose a free IOVA");
        }
        DmaMap.FLAGS.set(mapArg, flags);
        DmaMap.VADDR.set(mapArg, seg.address());
        DmaMap.IOVA.set(mapArg, iova);
        DmaMap.SIZE.set(mapArg, size);
        int r = Native.ioctl(containerFd, VfioAbi.VFIO_IOMMU_MAP_DMA, mapArg);
        if (r < 0) {
            throw new VfioException("VFIO_IOMMU_MAP_DMA of " + size + " bytes at IOVA " + Check.hex(iova), -r, advice(-r, size));
        }
        DmaMapping m = new DmaMapping(this, seg, iova, perms);
        byIova.insert(m);
        if (Long.compareUnsigned(iova + size, maxEnd) > 0) {
            maxEnd = iova + size;
        }
        ArenaTie tie = lastTie;
        if (tie == null || tie.scope != scope) {
            tie = ties.get(scope);
            if (tie == null) {
                tie = new ArenaTie(scope, this);
                ties.put(scope, tie);
            }
            lastTie = tie;
        }
        tie.add(m);
        // Registered after the segment's own allocation: an arena runs cleanups last-registered first, so the
        // DMA is unmapped before that memory is freed (see ArenaTie). The tie is shared, no per-mapping lambda.
        MemorySegment.NULL.reinterpret(owner, tie);
        return m;
    }

    /** Built only when something fails: the happy path allocates no strings. */
    private static String op(MemorySegment seg, long iova) {
        return "DMA map of " + seg.byteSize() + " bytes at IOVA " + Check.hex(iova);
    }

    /** True when the kernel reported no ranges (it then decides alone) or one range holds the whole mapping. */
    private static boolean inValidRange(List<IovaRange> ranges, long iova, long size) {
        if (ranges.isEmpty()) {
            return true;
        }
        for (int i = 0; i < ranges.size(); i++) {
            if (ranges.get(i).contains(iova, size)) {
                return true;
            }
        }
        return false;
    }

    private @Nullable DmaMapping overlapping(long iova, long size) {
        if (Long.compareUnsigned(iova, maxEnd) >= 0) {
            return null; // above every mapping (the usual case when mapping upwards): no tree walk needed
        }
        DmaMapping below = byIova.floor(iova + size - 1);
        if (below != null && Long.compareUnsigned(iova, below.iova() + below.size()) < 0) {
            return below;
        }
        return null;
    }

    /** The arena of {@code tie} is closing: unmap all its live mappings before it frees their memory. */
    synchronized void arenaClosing(ArenaTie tie) {
        for (DmaMapping m = tie.first(); m != null; m = tie.first()) {
            try {
                unmap(m);
            } catch (VfioException e) {
                // an arena close cannot fail; the container close releases what the kernel still holds
            }
        }
    }

    synchronized void unmap(DmaMapping m) {
        if (!m.isLive()) {
            return;
        }
        m.markClosed();
        byIova.remove(m);
        MemorySegment.Scope scope = m.segment().scope();
        ArenaTie tie = lastTie;
        if (tie == null || tie.scope != scope) {
            tie = ties.get(scope); // a live mapping is always on the list of its segment's arena
        }
        if (tie != null) {
            tie.remove(m);
            if (tie.first() == null) {
                ties.remove(tie.scope);
                if (lastTie == tie) {
                    lastTie = null;
                }
            }
        }
        if (byIova.size() == 0) {
            maxEnd = 0; // otherwise maxEnd stays an upper bound, which keeps the fast path correct
        }
        if (closed) {
            return; // the kernel dropped every mapping with the container
        }
        DmaUnmap.FLAGS.set(unmapArg, 0);
        DmaUnmap.IOVA.set(unmapArg, m.iova());
        DmaUnmap.SIZE.set(unmapArg, m.size());
        int r = Native.ioctl(containerFd, VfioAbi.VFIO_IOMMU_UNMAP_DMA, unmapArg);
        if (r < 0) {
            throw new VfioException("VFIO_IOMMU_UNMAP_DMA of " + m, -r, "the mapping is forgotten on the Java side; "
                    + "closing the container releases whatever the kernel still holds");
        }
        long done = (long) DmaUnmap.SIZE.get(unmapArg);
        if (done != m.size()) {
            throw new VfioException("VFIO_IOMMU_UNMAP_DMA of " + m, 0, "the kernel unmapped " + done
                    + " bytes instead of " + m.size() + "; another mapping may have been made behind vfio4j's back");
        }
    }

    /** Unmaps everything (before the last group leaves, or on container close). */
    synchronized void unmapAll() {
        for (DmaMapping m : byIova.toList()) {
            try {
                unmap(m);
            } catch (VfioException e) {
                // keep going: the remaining mappings must still be released
            }
        }
    }

    synchronized OptionalLong findFree(List<IovaRange> valid, long size, long align) {
        return IovaAllocator.find(valid, byIova, size, align);
    }

    synchronized List<DmaMapping> mappings() {
        return byIova.toList();
    }

    synchronized void close() {
        unmapAll();
        closed = true;
        argArena.close();
    }

    static String advice(int errno, long size) {
        return switch (errno) {
            case Errno.ENOMEM, Errno.EPERM -> "mapping pins memory, which counts against RLIMIT_MEMLOCK (now "
                    + memlockLimit() + "); raise it to cover all DMA memory plus " + size
                    + " bytes (ulimit -l, prlimit --memlock, or LimitMEMLOCK= in a systemd unit)";
            case Errno.EEXIST -> "the kernel already has a mapping in this IOVA range";
            case Errno.ENOSPC -> "the kernel's limit on the number of DMA mappings was reached "
                    + "(vfio_iommu_type1 dma_entry_limit); use fewer, larger mappings";
            case Errno.EINVAL -> "the kernel rejected the range (alignment, or outside the valid IOVA ranges)";
            case Errno.EFAULT -> "the memory is not mapped in this process";
            default -> "";
        };
    }

    /** The "Max locked memory" soft limit of this process, as /proc/self/limits shows it. */
    static String memlockLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max locked memory")) {
                    String[] f = line.substring("Max locked memory".length()).trim().split("\\s+");
                    return f[0] + (f.length > 2 ? " " + f[2] : "");
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }
}
