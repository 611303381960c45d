package org.vfio4j.virt.builtin;

import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.dt.DtCell;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.platform.GuestPlacement;
import org.vfio4j.platform.HostTrigger;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.board.Trigger;
import org.vfio4j.virt.device.PlatformAllocation;

/**
 * vfio-platform's {@link GuestPlacement} over a platform-bus allocation: region bases are the allocated
 * guest-physical ranges, guest lines are the SPI numbers (KVM's irqfd GSI for an SPI on arm64 is the SPI
 * number, INTID − 32), and the node's {@code reg}/{@code interrupts} use the platform bus's cell format.
 *
 * <p>Why {@code reg} gives the device's own region sizes, not the allocated (64 KiB-rounded) ranges: a guest
 * driver takes the size from {@code reg}, and AMBA's is load-bearing — the Linux AMBA bus reads the PrimeCell
 * ID registers at the last 32 bytes of the {@code reg} range, so a 4 KiB PL031 described as 64 KiB would be
 * read at 0xffe0, outside the mapped registers, and never probe. QEMU's platform bus writes the VFIO region
 * size too.
 *
 * <p>Host triggers become what the GIC accepts for SPIs: level lines active-high, edges rising (VFIO
 * delivers "asserted"/"fired", not the host line's polarity).
 */
public final class AllocationPlacement implements GuestPlacement {
    private final PlatformAllocation allocation;
    private final List<Long> regionSizes;

    /**
     * The placement of a device with regions of {@code regionSizes} (the host's {@code reg} sizes) in
     * {@code allocation}.
     *
     * @throws IllegalArgumentException if the counts differ or a region does not fit its allocated range
     */
    public AllocationPlacement(PlatformAllocation allocation, List<Long> regionSizes) {
        if (regionSizes.size() != allocation.regions().size()) {
            throw new IllegalArgumentException(allocation.deviceId() + ": " + regionSizes.size() + " region sizes for "
                    + allocation.regions().size() + " allocated ranges");
        }
        for (int i = 0; i < regionSizes.size(); i++) {
            long size = regionSizes.get(i);
            if (size <= 0 || size > allocation.regions().get(i).size()) {
                throw new IllegalArgumentException(allocation.deviceId() + ": region " + i + " of " + size + " bytes does "
                        + "not fit its allocated range " + allocation.regions().get(i));
            }
        }
        this.allocation = allocation;
        this.regionSizes = List.copyOf(regionSizes);
    }

    /** The allocation it describes. */
    public PlatformAllocation allocation() {
        return allocation;
    }

    @Override
    public List<Long> regionBases() {
        return allocation.regions().stream().map(MmioRange::base).toList();
    }

    @Override
    public List<GuestInterrupt.Line> lines() {
        return allocation.spis().stream().map(GuestInterrupt.Line::new).toList();
    }

    /** {@code reg = <offset size ...>}: offsets in the platform-bus window, the device's own region sizes. */
    public DtProperty reg() {
        List<DtCell> cells = new ArrayList<>();
        for (int i = 0; i < regionSizes.size(); i++) {
            cells.add(DtCell.num((int) allocation.busOffset(i)));
            cells.add(DtCell.num((int) (long) regionSizes.get(i)));
        }
        return DtProperty.cells("reg", cells);
    }

    @Override
    public DtNode.Builder nodeBuilder(String name, List<String> compatible, List<HostTrigger> triggers) {
        DtNode.Builder b = DtNode.builder(name).unitAddress(allocation.busOffset(0))
                .property(DtProperty.strings("compatible", compatible.toArray(String[]::new))).property(reg());
        if (!allocation.spis().isEmpty()) {
            Trigger[] t = triggers.stream().map(h -> h.level() ? Trigger.LEVEL_HIGH : Trigger.EDGE_RISING).toArray(Trigger[]::new);
            b.property(allocation.interrupts(t));
        }
        return b;
    }
}
