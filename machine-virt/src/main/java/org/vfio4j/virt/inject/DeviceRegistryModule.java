package org.vfio4j.virt.inject;

import org.vfio4j.virt.device.DeviceRegistry;
import org.vfio4j.virt.device.DeviceTypes;

import com.google.inject.AbstractModule;

/** The device registry and the (possibly empty) map of device types it reads. */
public final class DeviceRegistryModule extends AbstractModule {
    @Override
    protected void configure() {
        DeviceTypes.mapBinder(binder());
        Constructors.singleton(binder(), DeviceRegistry.class);
    }
}
