package org.vfio4j.virt.builtin;

import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.platform.AssignedPlatformDevice;
import org.vfio4j.platform.GuestLines;
import org.vfio4j.platform.GuestMmio;
import org.vfio4j.platform.PlatformPassthrough;
import org.vfio4j.virt.device.PlatformAllocation;
import org.vfio4j.virt.device.SysBusDevice;

/**
 * An assigned host platform device on the platform bus: its allocation, its node, and (for the KVM runner,
 * issue 6) {@link #start} to open it and wire it into the running guest.
 *
 * <p>Why the device is not opened at creation: the machine is laid out (and {@code dumpdtb} written) from
 * sysfs facts alone; the VFIO device is opened, and checked against those facts, only when a guest runs.
 */
public final class VfioSysBusDevice implements SysBusDevice {
    private final String id;
    private final PlatformPassthrough passthrough;
    private final AllocationPlacement placement;
    private final DtNode node;

    VfioSysBusDevice(String id, PlatformPassthrough passthrough, AllocationPlacement placement, DtNode node) {
        this.id = id;
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

    /** Opens the host device and maps/routes it through the running machine's seams. */
    public AssignedPlatformDevice start(GuestMmio mmio, IrqRouter router, GuestLines lines) {
        return passthrough.start(placement, mmio, router, lines);
    }

    @Override
    public String toString() {
        return placement.allocation().describe() + " <- host " + passthrough.host().name();
    }
}
