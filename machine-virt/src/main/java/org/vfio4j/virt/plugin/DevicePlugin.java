package org.vfio4j.virt.plugin;

import com.google.inject.Module;

/**
 * The service a plugin jar provides (listed in its
 * {@code META-INF/services/org.vfio4j.virt.plugin.DevicePlugin}): a name for reports and a Guice
 * module that registers device types with
 * {@link org.vfio4j.virt.device.DeviceTypes#register}.
 *
 * <p>Why a small SPI and not {@code com.google.inject.Module} as the service itself: other libraries
 * on a class path may publish Guice modules for their own purposes; this interface says "a vfio4j
 * device plugin" and gives it a name in messages.
 *
 * {@snippet :
 * public final class CalxedaPlugin implements DevicePlugin {
 *     public String name() { return "devices-calxeda"; }
 *     public Module module() {
 *         return binder -> DeviceTypes.register(binder, "vfio-calxeda-xgmac", XgmacType.class);
 *     }
 * }
 * }
 */
public interface DevicePlugin {
    /** A short name for reports, e.g. {@code devices-calxeda}. */
    String name();

    /** The module registering this plugin's device types. */
    Module module();
}
