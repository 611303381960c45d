package org.vfio4j.calxeda;

import java.util.List;
import java.util.Set;

import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.platform.GuestPlacement;
import org.vfio4j.platform.HostPlatformDevice;
import org.vfio4j.platform.PassthroughOptions;
import org.vfio4j.platform.PlatformPassthrough;
import org.vfio4j.platform.PlatformSetupException;
import org.vfio4j.platform.VfioPlatformDevice;

/**
 * The guest-facing model of a Calxeda Highbank 10Gb xgmac: the node its binding
 * (Documentation/devicetree/bindings/net/calxeda-xgmac.yaml) expects — {@code compatible = "calxeda,hb-xgmac"},
 * one {@code reg}, its interrupts (main, power management, optional low-power), {@code dma-coherent} and
 * nothing else ({@code additionalProperties: false}) — the reset-module requirement, and a host device that maps
 * DMA with EXEC ({@link CalxedaXgmacDevice}).
 *
 * <p>Why a specialisation rather than plain vfio-platform: the host node may carry properties the guest must
 * not see, the reset module is a hard requirement for this device, and the RFC's DMA permissions differ.
 */
public class CalxedaXgmac extends PlatformPassthrough {
    /** The binding's only compatible. */
    public static final String COMPATIBLE = "calxeda,hb-xgmac";

    /** Checks the host device against the binding and the reset module; see {@link PlatformPassthrough}. */
    public CalxedaXgmac(HostPlatformDevice host, PassthroughOptions options) {
        super(host, options);
    }

    /** The xgmac's descriptors and buffers are all DMA. */
    @Override
    protected boolean mastersDma() {
        return true;
    }

    /** Read, write and execute, as the RFC maps the xgmac's guest memory ({@link CalxedaXgmacDevice}). */
    @Override
    public Set<DmaPermission> dmaPermissions() {
        return CalxedaXgmacDevice.DMA_PERMISSIONS;
    }

    @Override
    protected void checkHost() {
        HostPlatformDevice h = host();
        if (!h.compatible().contains(COMPATIBLE)) {
            throw new PlatformSetupException(h.name() + " is not a Calxeda xgmac (its compatible is " + h.compatible()
                    + ", not " + COMPATIBLE + "); use -device vfio-platform for other devices");
        }
        if (h.regSizes().size() != 1) {
            throw new PlatformSetupException(h.name() + ": the xgmac binding has one reg entry, the host node has "
                    + h.regSizes().size());
        }
        int irqs = h.triggers().size();
        if (irqs < 2 || irqs > 3) {
            throw new PlatformSetupException(h.name() + ": the xgmac binding has 2 or 3 interrupts (main, power "
                    + "management, optional low-power), the host node has " + irqs);
        }
        ResetModule.require(ResetModule.sysRootOf(h.dir()));
    }

    @Override
    public List<String> compatible() {
        return List.of(COMPATIBLE);
    }

    @Override
    protected String nodeName() {
        return "ethernet";
    }

    /** {@code ethernet@…} with compatible, reg, interrupts and dma-coherent, as the binding allows. */
    @Override
    public DtNode deviceTreeNode(GuestPlacement placement) {
        return placement.nodeBuilder(nodeName(), compatible(), host().triggers())
                .property(DtProperty.empty("dma-coherent"))
                .build();
    }

    @Override
    protected VfioPlatformDevice openDevice(VfioGroup group) {
        return group.openDevice(host().name(), CalxedaXgmacDevice::new);
    }
}
