package org.vfio4j.platform;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.GuestContainer;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.dt.DtNode;

/**
 * The guest-facing model of one assigned platform device: checked from sysfs facts when the machine is laid
 * out (so {@code dumpdtb} needs no VFIO), it describes itself with a device-tree node, and {@link #start}
 * joins the machine's VFIO container (guest RAM DMA-mapped with {@link #dmaPermissions()}), opens the device,
 * checks VFIO against the facts, maps its regions and routes its IRQs through the machine's seams
 * ({@link GuestMmio}, {@link IrqRouter}, {@link GuestLines}).
 *
 * <p>Why a class apart from {@link VfioPlatformDevice}: the node and the checks are needed before, and
 * without, an open device fd. Specialisations (devices-calxeda) override {@link #deviceTreeNode},
 * {@link #checkHost} and {@link #openDevice}.
 *
 * {@snippet :
 * PlatformPassthrough p = new PlatformPassthrough(HostPlatformDevice.locate(Path.of("/sys"), "9010000.pl031"),
 *         new PassthroughOptions(List.of(), true, false));
 * DtNode node = p.deviceTreeNode(placement);                     // goes into the guest's tree
 * try (AssignedPlatformDevice d = p.start(placement, mmio, router, lines, vfio)) {
 *     // the guest runs; its driver sees the real RTC
 * }
 * }
 */
public class PlatformPassthrough {
    private final HostPlatformDevice host;
    private final PassthroughOptions options;
    private final List<String> warnings = new ArrayList<>();

    /**
     * Checks that {@code host} can be assigned with {@code options} (VFIO driver, viable group, no-IOMMU
     * opt-in) and whatever {@link #checkHost} adds.
     *
     * @throws PlatformSetupException saying what is wrong and how to fix it
     */
    public PlatformPassthrough(HostPlatformDevice host, PassthroughOptions options) {
        this.host = host;
        this.options = options;
        host.checkAssignable(options.allowNoIommu());
        if (host.noIommu()) {
            if (mastersDma() && !options.allowDmaMasterWithoutIommu()) {
                throw new PlatformSetupException(host.name() + " is in a no-IOMMU group, and this device type masters "
                        + "DMA: a guest driving it can program host physical addresses and so read and write all of "
                        + "the host's memory, the VMM's and the kernel's included. Give it a group behind an IOMMU; "
                        + "only on a disposable test machine add x-no-iommu-unsafe-dma=on to accept that");
            }
            warnings.add("WARNING: " + host.name() + " is assigned WITHOUT an IOMMU (x-no-iommu=on, group noiommu-"
                    + host.group() + "): nothing isolates it. vfio4j maps no guest memory for its DMA, but that "
                    + "does not stop DMA: a guest can program the device with host physical addresses and reach all "
                    + "host memory. Use only for devices that do no DMA, on test machines");
        }
        if (host.regSizes().isEmpty()) {
            throw new PlatformSetupException(host.name() + ": its host node has no reg entries, so there is nothing to map");
        }
        checkHost();
    }

    /** The host facts. */
    public final HostPlatformDevice host() {
        return host;
    }

    /** The options it was created with. */
    public final PassthroughOptions options() {
        return options;
    }

    /** Warnings for the terminal (the no-IOMMU opt-in); empty when nothing is unsafe. */
    public final List<String> warnings() {
        return List.copyOf(warnings);
    }

    /**
     * Whether the device masters DMA (a network controller, a DMA engine). Such a device is refused in a no-IOMMU
     * group unless {@link PassthroughOptions#allowDmaMasterWithoutIommu()}; called from the constructor, so an
     * override must not depend on the subclass's fields.
     */
    protected boolean mastersDma() {
        return false;
    }

    /**
     * What the device may do with guest RAM, which the machine's container maps for it (the union over every
     * assigned device). Default read/write; a device that fetches descriptors or code as instructions adds
     * {@link DmaPermission#EXEC} (devices-calxeda's xgmac, as the RFC maps it).
     */
    public Set<DmaPermission> dmaPermissions() {
        return DmaPermission.READ_WRITE;
    }

    /** A hook for specialisations' host requirements (e.g. a reset module); throw {@link PlatformSetupException}. */
    protected void checkHost() {
    }

    /** The guest's {@code compatible}: {@code compat=} when given, else the host node's list. */
    public List<String> compatible() {
        List<String> c = options.compatible().isEmpty() ? host.compatible() : options.compatible();
        if (c.isEmpty()) {
            throw new PlatformSetupException(host.name() + ": the host node has no compatible property; give one with compat=");
        }
        return c;
    }

    /** The node name: the first compatible's part after the vendor ({@code arm,pl031} → {@code pl031}). */
    protected String nodeName() {
        String first = compatible().getFirst();
        return first.substring(first.indexOf(',') + 1);
    }

    /**
     * The device's guest node: {@code compatible}, {@code reg} at the guest addresses, {@code interrupts} with the
     * guest lines and the host's trigger types. Override to add or replace binding-specific properties.
     */
    public DtNode deviceTreeNode(GuestPlacement placement) {
        return placement.nodeBuilder(nodeName(), compatible(), host.triggers()).build();
    }

    /** Opens the device through its group; override to return a specialised {@link VfioPlatformDevice}. */
    protected VfioPlatformDevice openDevice(VfioGroup group) {
        return group.openDevice(host.name(), VfioPlatformDevice::new);
    }

    /**
     * Joins the machine's container {@code vfio} (a group behind an IOMMU: guest RAM is DMA-mapped there for
     * the device, with {@link #dmaPermissions()}) or, for a no-IOMMU group, a no-IOMMU container of its own
     * that maps nothing; opens the device, checks it against the host facts, routes its IRQs and maps or traps
     * its regions at {@code placement}. A failure undoes all of it.
     */
    public AssignedPlatformDevice start(GuestPlacement placement, GuestMmio mmio, IrqRouter router, GuestLines lines,
            GuestContainer vfio) {
        VfioGroup group;
        AssignedPlatformDevice assigned;
        if (host.noIommu()) {
            VfioContainer own = vfio.openNoIommu();
            assigned = new AssignedPlatformDevice(own::close);
            try {
                group = own.attach(host.group());
            } catch (RuntimeException e) {
                assigned.close();
                throw e;
            }
        } else {
            GuestContainer.Membership m = vfio.join(host.group(), dmaPermissions());
            assigned = new AssignedPlatformDevice(m::close);
            group = m.group();
        }
        try {
            VfioPlatformDevice dev = openDevice(group);
            assigned.device(dev);
            dev.verify(host);
            assigned.wire(placement, mmio, router, lines, options.noMmap());
            return assigned;
        } catch (RuntimeException e) {
            assigned.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " " + host;
    }
}
