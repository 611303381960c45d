package org.vfio4j.virt.builtin;

import java.util.List;

import org.vfio4j.common.VfioException;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.platform.AssignedPlatformDevice;
import org.vfio4j.platform.PlatformPassthrough;
import org.vfio4j.platform.PlatformSetupException;
import org.vfio4j.platform.RoutedIrq;
import org.vfio4j.platform.UserSpaceUnmask;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.LiveDevice;
import org.vfio4j.virt.device.PlatformAllocation;
import org.vfio4j.virt.device.RunningGuest;
import org.vfio4j.virt.device.SysBusDevice;
import org.vfio4j.virt.kvm.KvmException;

/**
 * An assigned host platform device on the platform bus: its allocation, its node, and, when a guest runs,
 * {@link #start} to open it through VFIO and wire it into the guest (regions as memory slots, IRQs as KVM
 * irqfds, level ones with resample so the kernel unmasks on the guest's EOI).
 *
 * <p>Why the device is not opened at creation: the machine is laid out (and {@code dumpdtb} written) from
 * sysfs facts alone; the VFIO device is opened, and checked against those facts, only when a guest runs.
 * MSIs do not exist on the platform bus, so the router's device id is 0; guest lines are the allocation's SPIs,
 * the numbers the node's {@code interrupts} carries and KVM's SPI routes use.
 */
public final class VfioSysBusDevice implements SysBusDevice, LiveDevice {
    private final String id;
    private final String type;
    private final PlatformPassthrough passthrough;
    private final AllocationPlacement placement;
    private final DtNode node;
    private final PassthroughActivity activity = new PassthroughActivity();

    VfioSysBusDevice(String id, String type, PlatformPassthrough passthrough, AllocationPlacement placement, DtNode node) {
        this.id = id;
        this.type = type;
        this.passthrough = passthrough;
        this.placement = placement;
        this.node = node;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public PlatformAllocation allocation() {
        return placement.allocation();
    }

    @Override
    public DtNode deviceTreeNode() {
        return node;
    }

    /** The guest-facing model (host facts, options). */
    public PlatformPassthrough passthrough() {
        return passthrough;
    }

    /** What the device has cost the VMM so far (routing, trapped accesses, user-space line changes). */
    public PassthroughActivity activity() {
        return activity;
    }

    /**
     * Opens the host device through its group, checks it against the sysfs facts the node was written from,
     * and maps/routes it through {@code guest}.
     *
     * @throws DeviceException naming the device and what to do (the group is busy, the device was rebound,
     *                         VFIO disagrees with the host device tree, KVM refused a slot or an irqfd)
     */
    @Override
    public Started start(RunningGuest guest) throws DeviceException {
        RunningGuestSeams seams = new RunningGuestSeams(guest, activity);
        AssignedPlatformDevice live;
        try {
            live = passthrough.start(placement, seams, guest.router(0), seams, guest.vfio());
        } catch (PlatformSetupException | VfioException | KvmException | IllegalArgumentException e) {
            throw new DeviceException("-device " + type + ",id=" + id + " (host " + passthrough.host().name()
                    + "): cannot start it: " + e.getMessage(), e);
        }
        activity.routes(kinds(live.irqs()));
        return live::close;
    }

    private static List<String> kinds(List<RoutedIrq> irqs) {
        return irqs.stream().map(q -> switch (q) {
            case RoutedIrq.Edge e -> "edge";
            case RoutedIrq.Resampled r -> "resampled";
            case UserSpaceUnmask u -> "user-space-unmask";
        }).toList();
    }

    @Override
    public String toString() {
        return placement.allocation().describe() + " <- host " + passthrough.host().name();
    }
}
