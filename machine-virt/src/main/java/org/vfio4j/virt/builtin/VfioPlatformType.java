package org.vfio4j.virt.builtin;

import jakarta.inject.Inject;

import org.vfio4j.platform.HostPlatformDevice;
import org.vfio4j.platform.PlatformSetupException;
import org.vfio4j.virt.device.PlatformBus;

/**
 * {@code -device vfio-platform,host=NAME[,compat=STR][,x-no-iommu=on][,x-no-mmap=on]}: a host platform device
 * bound to vfio-platform, given to the guest on the platform bus with a node made from the host's (QEMU's
 * {@code vfio-platform}).
 */
public final class VfioPlatformType extends PlatformPassthroughType {
    /** The {@code -device} name. */
    public static final String NAME = "vfio-platform";

    @Inject
    VfioPlatformType(PlatformBus bus) {
        super(bus);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a host platform device bound to vfio-platform, with MMIO mapped and IRQs routed through irqfds";
    }

    @Override
    protected void accept(HostPlatformDevice host) {
        if (!"platform".equals(host.bus())) {
            throw new PlatformSetupException(host.name() + " is on the " + host.bus() + " bus, not the platform bus; "
                    + ("amba".equals(host.bus()) ? "use -device vfio-amba,host=" + host.name() : "it cannot be assigned here"));
        }
    }
}
