package org.vfio4j.calxeda;

import jakarta.inject.Inject;

import org.vfio4j.platform.HostPlatformDevice;
import org.vfio4j.platform.PassthroughOptions;
import org.vfio4j.platform.PlatformPassthrough;
import org.vfio4j.platform.PlatformSetupException;
import org.vfio4j.virt.builtin.PlatformPassthroughType;
import org.vfio4j.virt.device.PlatformBus;

/**
 * {@code -device vfio-calxeda-xgmac,host=fff50000.ethernet}: a Calxeda xgmac on machine-virt's platform bus,
 * with the properties every assigned platform device accepts.
 */
public final class CalxedaXgmacType extends PlatformPassthroughType {
    /** The {@code -device} name. */
    public static final String NAME = "vfio-calxeda-xgmac";

    @Inject
    CalxedaXgmacType(PlatformBus bus) {
        super(bus);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a host Calxeda Highbank xgmac bound to vfio-platform (needs vfio-platform-calxedaxgmac)";
    }

    @Override
    protected void accept(HostPlatformDevice host) {
        if (!"platform".equals(host.bus())) {
            throw new PlatformSetupException(host.name() + " is on the " + host.bus() + " bus; the xgmac is a platform device");
        }
    }

    @Override
    protected PlatformPassthrough passthrough(HostPlatformDevice host, PassthroughOptions options) {
        return new CalxedaXgmac(host, options);
    }
}
