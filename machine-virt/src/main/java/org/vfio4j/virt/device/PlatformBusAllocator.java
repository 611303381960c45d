package org.vfio4j.virt.device;

import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.virt.board.Gicv3;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.board.Sizes;

import jakarta.inject.Inject;

/**
 * The machine's platform bus: a 32 MiB window at {@link MemoryMap#PLATFORM_BUS} and SPIs
 * {@link MemoryMap#PLATFORM_BUS_SPI_BASE}… (64 of them), handed out first-fit in request order —
 * devices are created in command-line order, so the same command line always gives the same
 * addresses. Each region is rounded up to 64 KiB and aligned to its rounded size (up to 2 MiB), so
 * it can be a KVM memory slot on 64 KiB-page hosts and large regions can use block mappings.
 *
 * <p>Why both the allocator and the node here: the {@code ranges} of {@code /platform-bus@c000000}
 * and the offsets in its children's {@code reg} must describe the same window.
 */
public final class PlatformBusAllocator implements PlatformBus {
    /** Allocation granule: the largest host page size arm64 Linux uses. */
    public static final long GRANULE = 64 * Sizes.KiB;
    private static final long MAX_ALIGN = 2 * Sizes.MiB;

    private final MmioRange window = MemoryMap.PLATFORM_BUS;
    private final List<PlatformAllocation> allocations = new ArrayList<>();
    private long next = window.base();
    private int nextSpi = MemoryMap.PLATFORM_BUS_SPI_BASE;

    /** An empty platform bus. */
    @Inject
    public PlatformBusAllocator() {
    }

    @Override
    public synchronized PlatformAllocation allocate(String deviceId, List<Long> regionSizes, int irqCount) throws DeviceException {
        int spiEnd = MemoryMap.PLATFORM_BUS_SPI_BASE + MemoryMap.PLATFORM_BUS_SPI_COUNT;
        if (irqCount < 0 || nextSpi + irqCount > spiEnd) {
            throw new DeviceException(deviceId + ": needs " + irqCount + " interrupts but the platform bus has "
                    + (spiEnd - nextSpi) + " of its " + MemoryMap.PLATFORM_BUS_SPI_COUNT + " SPIs left; give fewer devices");
        }
        long at = next;
        List<MmioRange> regions = new ArrayList<>();
        for (long size : regionSizes) {
            if (size <= 0) {
                throw new DeviceException(deviceId + ": region size " + size + " is not positive");
            }
            long rounded = (size + GRANULE - 1) & -GRANULE;
            long align = Math.min(Long.highestOneBit(rounded) == rounded ? rounded : Long.highestOneBit(rounded) << 1, MAX_ALIGN);
            long base = (at + align - 1) & -align;
            if (base + rounded > window.end()) {
                throw new DeviceException(deviceId + ": no room for a " + Sizes.human(size) + " region on the platform bus ("
                        + Sizes.human(window.end() - at) + " of its " + Sizes.human(window.size()) + " window at 0x"
                        + Long.toHexString(window.base()) + " left); give fewer or smaller devices");
            }
            regions.add(new MmioRange(base, rounded));
            at = base + rounded;
        }
        List<Integer> spis = new ArrayList<>();
        for (int i = 0; i < irqCount; i++) {
            spis.add(nextSpi + i);
        }
        next = at;
        nextSpi += irqCount;
        PlatformAllocation a = new PlatformAllocation(deviceId, window.base(), regions, spis);
        allocations.add(a);
        return a;
    }

    /** Everything allocated so far, in allocation order. */
    public synchronized List<PlatformAllocation> allocations() {
        return List.copyOf(allocations);
    }

    /** {@code /platform-bus@c000000} holding {@code children} (the sysbus devices' nodes). */
    public DtNode node(List<DtNode> children) {
        return DtNode.builder("platform-bus").unitAddress(window.base())
                .property(DtProperty.phandle("interrupt-parent", Gicv3.LABEL))
                .property(DtProperty.addressCells("ranges", new int[] {1, 2, 1}, 0, window.base(), window.size()))
                .property(DtProperty.u32("#address-cells", 1))
                .property(DtProperty.u32("#size-cells", 1))
                .property(DtProperty.strings("compatible", "qemu,platform", "simple-bus"))
                .children(children)
                .build();
    }
}
