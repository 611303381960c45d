package org.vfio4j.virt.run;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vfio4j.common.sys.Native;
import org.vfio4j.virt.board.MmioRange;

/**
 * Guest RAM: an anonymous private mapping owned by a shared arena (vCPU threads and device models may touch
 * it), unmapped when the arena closes.
 *
 * <p>Why mmap rather than {@code Arena.allocate}: the kernel hands out zeroed pages lazily (a 2 GiB guest
 * costs only what it touches) and the base is page aligned, which KVM memory slots require.
 */
public final class GuestRam implements AutoCloseable {
    private static final int MAP_NORESERVE = 0x4000;
    private final MmioRange range;
    private final Arena arena;
    private final MemorySegment memory;

    private GuestRam(MmioRange range, Arena arena, MemorySegment memory) {
        this.range = range;
        this.arena = arena;
        this.memory = memory;
    }

    /** Maps {@code range.size()} bytes for guest range {@code range}. */
    public static GuestRam allocate(MmioRange range) {
        long size = range.size();
        long addr = Native.mmap(size, Native.PROT_READ | Native.PROT_WRITE,
                Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (Native.failed(addr)) {
            throw new org.vfio4j.virt.kvm.KvmException("mmap of " + size + " bytes of guest RAM", (int) -addr,
                    "use a smaller -m");
        }
        Arena arena = Arena.ofShared();
        MemorySegment seg = MemorySegment.ofAddress(addr).reinterpret(size, arena, s -> Native.munmap(s.address(), size));
        return new GuestRam(range, arena, seg);
    }

    /** Where RAM sits in the guest. */
    public MmioRange range() {
        return range;
    }

    /** The whole of RAM. */
    public MemorySegment memory() {
        return memory;
    }

    /** Unmaps the RAM; close the KVM memory slot first. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
