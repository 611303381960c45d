package org.vfio4j.platform;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.VfioRegion;

/**
 * A platform device live in a guest: its hold on a container (a membership of the machine's, or a no-IOMMU
 * container of its own), device, region mappings/traps and routed IRQs, torn down in reverse order on
 * {@link #close()}.
 *
 * <p>Why one owner: a half-started device (a mapping made, an IRQ routing failed) must undo exactly what was
 * done; {@link PlatformPassthrough#start} closes this on any failure.
 */
public final class AssignedPlatformDevice implements AutoCloseable {
    /** Lets go of the container: the membership's close, or the own no-IOMMU container's. */
    private final Runnable release;
    private @Nullable VfioPlatformDevice device;
    private final List<RoutedIrq> irqs = new ArrayList<>();
    private final List<GuestMmio.MmioMapping> mappings = new ArrayList<>();
    private final List<RegionPlan> plans = new ArrayList<>();
    private boolean closed;

    AssignedPlatformDevice(Runnable release) {
        this.release = release;
    }

    void device(VfioPlatformDevice dev) {
        this.device = dev;
    }

    /** The open device. */
    public VfioPlatformDevice device() {
        VfioPlatformDevice d = device;
        if (d == null || closed) {
            throw new IllegalStateException("the assigned device is not open");
        }
        return d;
    }

    /** How each IRQ was routed. */
    public List<RoutedIrq> irqs() {
        return List.copyOf(irqs);
    }

    /** How each region was placed. */
    public List<RegionPlan> plans() {
        return List.copyOf(plans);
    }

    void wire(GuestPlacement placement, GuestMmio mmio, IrqRouter router, GuestLines lines, boolean noMmap) {
        VfioPlatformDevice dev = device();
        for (int i = 0; i < dev.info().numIrqs(); i++) {
            irqs.add(PlatformIrqRouting.route(new VfioIrqLine(dev.irq(i)), placement.lines().get(i), router, lines));
        }
        boolean fallback = irqs.stream().anyMatch(q -> q instanceof UserSpaceUnmask);
        for (int i = 0; i < dev.info().numRegions(); i++) {
            VfioRegion region = dev.region(i);
            RegionPlan plan = RegionPlan.of(region.info(), noMmap || fallback);
            plans.add(plan);
            long base = placement.regionBases().get(i);
            for (RegionPlan.Piece p : plan.pieces()) {
                String what = dev.name() + " region " + i + " +0x" + Long.toHexString(p.offset());
                mappings.add(switch (p) {
                    case RegionPlan.Mapped m -> mmio.map(what, base + m.offset(), region.mmap(m.area()));
                    case RegionPlan.Trapped t -> mmio.trap(what, base + t.offset(), t.size(), trapHandler(region, t.offset()));
                });
            }
        }
    }

    private MmioHandler trapHandler(VfioRegion region, long pieceOffset) {
        return new MmioHandler() {
            @Override
            public long read(long offset, int width) {
                long v = region.read(pieceOffset + offset, width);
                irqs.forEach(RoutedIrq::guestAccessed);
                return v;
            }

            @Override
            public void write(long offset, int width, long value) {
                region.write(pieceOffset + offset, width, value);
                irqs.forEach(RoutedIrq::guestAccessed);
            }
        };
    }

    /**
     * Stops IRQ delivery, removes the guest mappings, closes the device and lets go of the container (the last
     * device out of the machine's container unmaps guest RAM); idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (int i = irqs.size() - 1; i >= 0; i--) {
                irqs.get(i).close();
            }
            for (int i = mappings.size() - 1; i >= 0; i--) {
                mappings.get(i).close();
            }
        } finally {
            VfioPlatformDevice d = device;
            try {
                if (d != null) {
                    d.close(); // before the group may leave: the device fd holds the group
                }
            } finally {
                release.run();
            }
        }
    }
}
