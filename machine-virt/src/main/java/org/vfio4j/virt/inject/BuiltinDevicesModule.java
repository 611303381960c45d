package org.vfio4j.virt.inject;

import org.vfio4j.virt.builtin.PlatformStubType;
import org.vfio4j.virt.builtin.VfioAmbaType;
import org.vfio4j.virt.builtin.VfioPlatformType;
import org.vfio4j.virt.device.DeviceTypes;

import com.google.inject.AbstractModule;

/**
 * The framework's own device types, registered exactly as plugin jars register theirs.
 *
 * <p>Registration point for the framework's modules: {@code vfio-pci} (issue 7) and
 * {@code vfio-platform}/{@code vfio-amba} (issue 8) are added here with
 * {@code DeviceTypes.register(binder(), "vfio-pci", VfioPciType.class)} once those modules provide
 * their types; nothing else in the machine changes.
 */
public final class BuiltinDevicesModule extends AbstractModule {
    @Override
    protected void configure() {
        DeviceTypes.register(binder(), PlatformStubType.NAME, PlatformStubType.class);
        DeviceTypes.register(binder(), VfioPlatformType.NAME, VfioPlatformType.class);
        DeviceTypes.register(binder(), VfioAmbaType.NAME, VfioAmbaType.class);
    }
}
