package org.vfio4j.common;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

import org.eclipse.jdt.annotation.Nullable;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.IommufdAbi;
import org.vfio4j.common.sys.IommufdAbi.IoasMap;
import org.vfio4j.common.sys.IommufdAbi.IoasUnmap;
import org.vfio4j.common.sys.Native;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.common.sys.VfioAbi.DmaMap;
import org.vfio4j.common.sys.VfioAbi.DmaUnmap;

/**
 * The container's DMA bookkeeping: every mapping by IOVA (for overlap checks, IOVA allocation and unmapping by
 * range) and by the arena that owns its memory (so closing the arena unmaps first). One ioctl per map and per
 * unmap; the argument structs are allocated once (used under this object's lock). A live mapping costs
 * ~40 bytes of primitive arrays in {@link IovaIndex}, plus the arena's own record of the cleanup registration
 * unless the arena is this container's {@link DmaArena}; the {@link DmaMapping} handle is the caller's to keep
 * or drop.
 */
final class DmaMapper {
    private final Kernel kernel;
    /** The container fd (Type1), or the iommufd fd. */
    private final int fd;
    /** The IOAS in {@link #fd} that mappings go to, or -1 for a Type1 container. */
    private final int ioasId;
    private final IovaIndex byIova = new IovaIndex();
    /** An upper bound (unsigned) of the end of every mapping: IOVAs at or above it overlap nothing. */
    private long maxEnd;
    /** Counts maps, so a handle can tell its mapping from a later one at the same IOVA. */
    private long generation;
    /** One tie per arena with live mappings; dropped when its last mapping goes, so no arena is kept alive. */
    private final Map<MemorySegment.Scope, ArenaTie> ties = new HashMap<>();
    /** The tie used last (most callers map from one arena at a time); null when it was dropped. */
    private @Nullable ArenaTie lastTie;
    // An automatic arena: a shared one would make every ioctl acquire and release it (two atomic updates per
    // call); these two structs are only used under this object's lock and are freed with it.
    private final Arena argArena = Arena.ofAuto();
    private final MemorySegment mapArg;
    private final MemorySegment unmapArg;
    private boolean closed;

    /** The mappings of a Type1 container. */
    DmaMapper(Kernel kernel, int containerFd) {
        this.kernel = kernel;
        this.fd = containerFd;
        this.ioasId = -1;
        mapArg = argArena.allocate(DmaMap.LAYOUT);
        unmapArg = argArena.allocate(DmaUnmap.LAYOUT);
        DmaMap.ARGSZ.set(mapArg, (int) DmaMap.LAYOUT.byteSize());
        DmaUnmap.ARGSZ.set(unmapArg, (int) DmaUnmap.LAYOUT.byteSize());
    }

    /** The mappings of IOAS {@code ioasId} of the iommufd {@code iommufd}. */
    DmaMapper(Kernel kernel, int iommufd, int ioasId) {
        this.kernel = kernel;
        this.fd = iommufd;
        this.ioasId = ioasId;
        mapArg = argArena.allocate(IoasMap.LAYOUT);
        unmapArg = argArena.allocate(IoasUnmap.LAYOUT);
        IoasMap.SIZE.set(mapArg, (int) IoasMap.LAYOUT.byteSize());
        IoasMap.IOAS_ID.set(mapArg, ioasId);
        IoasUnmap.SIZE.set(unmapArg, (int) IoasUnmap.LAYOUT.byteSize());
        IoasUnmap.IOAS_ID.set(unmapArg, ioasId);
    }

    /**
     * Maps {@code seg} at {@code iova} and returns its handle. Kept this small on purpose: it inlines into the
     * caller's loop, so a caller that drops the handle (unmapping by IOVA later) allocates neither the handle
     * nor, usually, the slice it passed (the JIT's escape analysis sees both die here); the work is in
     * {@link #mapRange}, which takes the segment's parts.
     */
    DmaMapping map(Arena owner, MemorySegment seg, long iova, Set<DmaPermission> perms, IommuInfo info) {
        long gen = mapRange(owner, seg.isNative(), seg.scope(), seg.address(), seg.byteSize(), iova, perms, info);
        return new DmaMapping(this, seg, iova, gen, DmaMapping.bitsOf(perms));
    }

    /** Checks and maps {@code [address, address + size)} of a segment of {@code segScope} at {@code iova}; returns its generation. */
    private synchronized long mapRange(Arena owner, boolean isNative, MemorySegment.Scope segScope, long address,
            long size, long iova, Set<DmaPermission> perms, IommuInfo info) {
        Check.open(closed, "VFIO container");
        int flags = DmaPermission.mapFlags(perms, false);
        if (!isNative || !segScope.isAlive()) {
            throw new IllegalArgumentException(op(size, iova) + ": the segment must be native memory that is still alive");
        }
        MemorySegment.Scope scope = owner.scope();
        if (!segScope.equals(scope)) {
            throw new IllegalArgumentException(op(size, iova) + ": the segment does not belong to the given arena; pass "
                    + "the arena that allocated it, so closing that arena unmaps the DMA before the memory is freed");
        }
        long page = info.minPageSize();
        if (size == 0 || (address | size | iova) % page != 0) {
            throw VfioException.refused(op(size, iova), "address " + Check.hex(address) + ", size and IOVA must "
                    + "be non-zero multiples of the IOMMU page size " + page + " (allocate with arena.allocate(size, "
                    + page + "))");
        }
        if (!inValidRange(info.iovaRanges(), iova, size)) {
            throw VfioException.refused(op(size, iova), "[" + Check.hex(iova) + ", " + Check.hex(iova + size)
                    + ") is outside the container's valid IOVA ranges " + info.iovaRanges()
                    + "; choose an IOVA inside one of them, or use VfioContainer.allocate() to have one picked");
        }
        long clash = overlapping(iova, size);
        if (clash != IovaIndex.NONE) {
            throw VfioException.refused(op(size, iova), "it overlaps the existing " + describe(clash)
                    + "; close that mapping first or choose a free IOVA");
        }
        int r = kernelMap(flags, address, iova, size);
        if (r < 0) {
            throw new VfioException(mapOp() + " of " + size + " bytes at IOVA " + Check.hex(iova), -r,
                    advice(-r, size, ioasId >= 0));
        }
        ArenaTie tie = lastTie;
        if (tie == null || tie.scope != scope) {
            tie = ties.get(scope);
            if (tie == null) {
                ArenaTie own = owner instanceof DmaArena d ? d.tieFor(this) : null;
                tie = own != null ? own : new ArenaTie(owner, this, false);
                ties.put(scope, tie);
            }
            lastTie = tie;
        }
        byte bits = DmaMapping.bitsOf(perms);
        long gen = ++generation;
        byIova.insert(iova, size, address, gen, bits, tie);
        tie.live++;
        if (Long.compareUnsigned(iova + size, maxEnd) > 0) {
            maxEnd = iova + size;
        }
        if (!tie.arenaUnmapsFirst) {
            // Registered after the segment's own allocation: an arena runs cleanups last-registered first, so
            // the DMA is unmapped before that memory is freed (see ArenaTie). The tie is shared, no lambda.
            MemorySegment.NULL.reinterpret(owner, tie);
        }
        return gen;
    }

    /** One map ioctl: {@code flags} are VFIO_DMA_MAP_FLAG_* bits, translated for an IOAS. */
    private int kernelMap(int flags, long address, long iova, long size) {
        if (ioasId < 0) {
            DmaMap.FLAGS.set(mapArg, flags);
            DmaMap.VADDR.set(mapArg, address);
            DmaMap.IOVA.set(mapArg, iova);
            DmaMap.SIZE.set(mapArg, size);
            return kernel.ioctl(fd, VfioAbi.VFIO_IOMMU_MAP_DMA, mapArg);
        }
        IoasMap.FLAGS.set(mapArg, IommufdAbi.IOMMU_IOAS_MAP_FIXED_IOVA
                | ((flags & VfioAbi.VFIO_DMA_MAP_FLAG_READ) != 0 ? IommufdAbi.IOMMU_IOAS_MAP_READABLE : 0)
                | ((flags & VfioAbi.VFIO_DMA_MAP_FLAG_WRITE) != 0 ? IommufdAbi.IOMMU_IOAS_MAP_WRITEABLE : 0));
        IoasMap.USER_VA.set(mapArg, address);
        IoasMap.LENGTH.set(mapArg, size);
        IoasMap.IOVA.set(mapArg, iova);
        return kernel.ioctl(fd, IommufdAbi.IOMMU_IOAS_MAP, mapArg);
    }

    /** One unmap ioctl; returns the bytes the kernel unmapped, or {@code -errno}. */
    private long kernelUnmap(long iova, long size) {
        if (ioasId < 0) {
            DmaUnmap.FLAGS.set(unmapArg, 0);
            DmaUnmap.IOVA.set(unmapArg, iova);
            DmaUnmap.SIZE.set(unmapArg, size);
            int r = kernel.ioctl(fd, VfioAbi.VFIO_IOMMU_UNMAP_DMA, unmapArg);
            return r < 0 ? r : (long) DmaUnmap.SIZE.get(unmapArg);
        }
        IoasUnmap.IOVA.set(unmapArg, iova);
        IoasUnmap.LENGTH.set(unmapArg, size);
        int r = kernel.ioctl(fd, IommufdAbi.IOMMU_IOAS_UNMAP, unmapArg);
        return r < 0 ? r : (long) IoasUnmap.LENGTH.get(unmapArg);
    }

    private String mapOp() {
        return ioasId < 0 ? "VFIO_IOMMU_MAP_DMA" : "IOMMU_IOAS_MAP";
    }

    private String unmapOp() {
        return ioasId < 0 ? "VFIO_IOMMU_UNMAP_DMA" : "IOMMU_IOAS_UNMAP";
    }

    /** Built only when something fails: the happy path allocates no strings. */
    private static String op(long size, long iova) {
        return "DMA map of " + size + " bytes at IOVA " + Check.hex(iova);
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

    /** An entry overlapping {@code [iova, iova + size)}, or {@link IovaIndex#NONE}. */
    private long overlapping(long iova, long size) {
        if (Long.compareUnsigned(iova, maxEnd) >= 0) {
            return IovaIndex.NONE; // above every mapping (the usual case when mapping upwards): no search needed
        }
        long below = byIova.floorPos(iova + size - 1);
        if (below != IovaIndex.NONE && Long.compareUnsigned(iova, byIova.iova(below) + byIova.size(below)) < 0) {
            return below;
        }
        return IovaIndex.NONE;
    }

    private String describe(long pos) {
        return DmaMapping.describe(byIova.iova(pos), byIova.size(pos), byIova.address(pos), byIova.permissionBits(pos));
    }

    /** A new handle on the entry at {@code pos}, its segment rebuilt with the owning arena's lifetime. */
    private DmaMapping handle(long pos) {
        ArenaTie tie = byIova.tie(pos);
        MemorySegment seg = MemorySegment.ofAddress(byIova.address(pos)).reinterpret(byIova.size(pos), tie.arena, null);
        return new DmaMapping(this, seg, byIova.iova(pos), byIova.generation(pos), byIova.permissionBits(pos));
    }

    /** The arena of {@code tie} is closing: unmap all its live mappings before it frees their memory. */
    synchronized void arenaClosing(ArenaTie tie) {
        if (tie.live == 0) {
            return; // nothing left (another registration of the same tie ran first), or never used
        }
        long[] iovas = new long[tie.live];
        int n = 0;
        for (long p = byIova.firstPos(); p != IovaIndex.NONE && n < iovas.length; p = byIova.nextPos(p)) {
            if (byIova.tie(p) == tie) {
                iovas[n++] = byIova.iova(p);
            }
        }
        for (int i = 0; i < n; i++) {
            try {
                unmapAt(byIova.find(iovas[i]));
            } catch (VfioException e) {
                // an arena close cannot fail; the container close releases what the kernel still holds
            }
        }
    }

    synchronized boolean isLive(DmaMapping m) {
        return livePos(m) != IovaIndex.NONE;
    }

    /** Unmaps {@code m} if it is still mapped (not unmapped another way, nor replaced by a later mapping). */
    synchronized void unmap(DmaMapping m) {
        long p = livePos(m);
        if (p != IovaIndex.NONE) {
            unmapAt(p);
        }
    }

    /** {@code m}'s entry, or {@link IovaIndex#NONE} when its IOVA is free or holds a later mapping. */
    private long livePos(DmaMapping m) {
        long p = byIova.find(m.iova());
        return p != IovaIndex.NONE && byIova.generation(p) == m.generation() ? p : IovaIndex.NONE;
    }

    /**
     * Unmaps every mapping inside {@code [iova, iova + size)} and returns how many there were; refuses, before
     * changing anything, when a mapping straddles either end (the IOMMU cannot split a mapping).
     */
    synchronized int unmap(long iova, long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("DMA unmap size must be positive, got " + size);
        }
        Check.open(closed, "VFIO container");
        long p = byIova.find(iova);
        if (p != IovaIndex.NONE && byIova.size(p) == size) {
            unmapAt(p); // one whole mapping, the usual case: no scan
            return 1;
        }
        long end = iova + size;
        long below = byIova.floorPos(iova);
        if (below != IovaIndex.NONE && byIova.iova(below) != iova
                && Long.compareUnsigned(byIova.iova(below) + byIova.size(below), iova) > 0) {
            throw straddles(iova, size, below);
        }
        int n = 0;
        long first = below != IovaIndex.NONE && byIova.iova(below) == iova ? below : byIova.higherPos(iova);
        for (long q = first; q != IovaIndex.NONE && Long.compareUnsigned(byIova.iova(q), end) < 0; q = byIova.nextPos(q)) {
            if (Long.compareUnsigned(byIova.iova(q) + byIova.size(q), end) > 0 || byIova.iova(q) + byIova.size(q) == 0) {
                throw straddles(iova, size, q);
            }
            n++;
        }
        for (int i = 0; i < n; i++) {
            long q = byIova.find(iova);
            unmapAt(q != IovaIndex.NONE ? q : byIova.higherPos(iova)); // the lowest one left in the range
        }
        return n;
    }

    private VfioException straddles(long iova, long size, long pos) {
        return VfioException.refused("DMA unmap of [" + Check.hex(iova) + ", " + Check.hex(iova + size) + ")",
                "the " + describe(pos) + " crosses its edge and the IOMMU cannot unmap part of a mapping; unmap a "
                        + "range that covers whole mappings");
    }

    /** Forgets the entry at {@code pos} and unmaps it in the kernel. */
    private void unmapAt(long pos) {
        long iova = byIova.iova(pos);
        long size = byIova.size(pos);
        ArenaTie tie = byIova.tie(pos);
        byIova.removeAt(pos);
        if (--tie.live == 0) {
            ties.remove(tie.scope);
            if (lastTie == tie) {
                lastTie = null;
            }
        }
        if (byIova.size() == 0) {
            maxEnd = 0; // otherwise maxEnd stays an upper bound, which keeps the fast path correct
        }
        if (closed) {
            return; // the kernel dropped every mapping with the container
        }
        long done = kernelUnmap(iova, size);
        if (done < 0) {
            throw new VfioException(unmapOp() + " of " + size + " bytes at IOVA " + Check.hex(iova), (int) -done,
                    "the mapping is forgotten on the Java side; closing the container releases whatever the kernel "
                            + "still holds");
        }
        if (done != size) {
            throw new VfioException(unmapOp() + " of " + size + " bytes at IOVA " + Check.hex(iova), 0,
                    "the kernel unmapped " + done + " bytes instead of " + size
                            + "; another mapping may have been made behind vfio4j's back");
        }
    }

    /** Unmaps everything (before the last group leaves, or on container close). */
    synchronized void unmapAll() {
        while (byIova.size() > 0) {
            try {
                unmapAt(byIova.firstPos());
            } catch (VfioException e) {
                // keep going: the remaining mappings must still be released (the entry is already gone)
            }
        }
    }

    /**
     * Allocates {@code size} bytes (rounded up to the IOMMU page size) of zeroed anonymous memory, maps it at the
     * lowest free IOVA and adds the buffer to {@code open}, which its close takes it out of.
     */
    DmaBuffer allocate(IommuInfo info, long size, Set<DmaPermission> permissions, Set<DmaBuffer> open) {
        if (size <= 0) {
            throw new IllegalArgumentException("DMA buffer size must be positive, got " + size);
        }
        long page = info.minPageSize();
        long len = (size + page - 1) & -page;
        DmaPermission.mapFlags(permissions, false); // refuse bad permissions before allocating anything
        List<IovaRange> valid = info.iovaRanges().isEmpty() ? List.of(new IovaRange(0, (1L << 39) - 1)) : info.iovaRanges();
        long iova = findFree(valid, len, page).orElseThrow(() -> VfioException.refused("DMA buffer of " + len
                + " bytes", "no free IOVA range that large inside " + valid + "; free other buffers first"));
        Arena arena = Arena.ofShared();
        try {
            long addr = Native.mmap(len, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0);
            if (Native.failed(addr)) {
                throw new VfioException("mmap of " + len + " anonymous bytes", (int) -addr, "the process is out of memory");
            }
            MemorySegment seg = MemorySegment.ofAddress(addr).reinterpret(len, arena, s -> Native.munmap(addr, len));
            DmaBuffer b = new DmaBuffer(arena, map(arena, seg, iova, permissions, info), open::remove);
            open.add(b);
            return b;
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    synchronized OptionalLong findFree(List<IovaRange> valid, long size, long align) {
        return IovaAllocator.find(valid, byIova, size, align);
    }

    /** Handles on the live mappings in IOVA order (new objects; a mapping whose arena is closing right now is left out). */
    synchronized List<DmaMapping> mappings() {
        List<DmaMapping> out = new ArrayList<>(byIova.size());
        for (long p = byIova.firstPos(); p != IovaIndex.NONE; p = byIova.nextPos(p)) {
            if (byIova.tie(p).scope.isAlive()) {
                out.add(handle(p));
            }
        }
        return out;
    }

    synchronized void close() {
        unmapAll();
        closed = true;
    }

    static String advice(int errno, long size, boolean iommufd) {
        return switch (errno) {
            case Errno.ENOMEM, Errno.EPERM -> "mapping pins memory, which counts against RLIMIT_MEMLOCK (now "
                    + memlockLimit() + (iommufd ? ", charged to the user: every process of this user with pinned "
                    + "memory counts" : "") + "); raise it to cover all DMA memory plus " + size
                    + " bytes (ulimit -l, prlimit --memlock, or LimitMEMLOCK= in a systemd unit)";
            case Errno.EEXIST, Errno.EADDRINUSE -> "the kernel already has a mapping in this IOVA range";
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
