package org.vfio4j.virt.builtin;

import java.util.List;

import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.dt.DtNode;
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
 * <p>Host triggers become what the GIC accepts for SPIs: level lines active-high, edges rising (VFIO
 * delivers "asserted"/"fired", not the host line's polarity).
 */
public final class AllocationPlacement implements GuestPlacement {
    private final PlatformAllocation allocation;

    /** The placement of {@code allocation}. */
    public AllocationPlacement(PlatformAllocation allocation) {
        this.allocation = allocation;
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

    @Override
    public DtNode.Builder nodeBuilder(String name, List<String> compatible, List<HostTrigger> triggers) {
        Trigger[] t = triggers.stream().map(h -> h.level() ? Trigger.LEVEL_HIGH : Trigger.EDGE_RISING).toArray(Trigger[]::new);
        return t.length == 0 ? allocation.nodeBuilder(name, compatible, Trigger.LEVEL_HIGH) : allocation.nodeBuilder(name, compatible, t);
    }
}
