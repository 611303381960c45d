package org.vfio4j.calxeda;

import com.google.inject.Module;

import org.vfio4j.virt.device.DeviceTypes;
import org.vfio4j.virt.plugin.DevicePlugin;

/**
 * The devices-calxeda plugin: registers {@code vfio-calxeda-xgmac}. machine-virt finds it in a jar on its
 * plugin path ({@code -plugins DIR}), never on its class path.
 */
public final class CalxedaPlugin implements DevicePlugin {
    @Override
    public String name() {
        return "devices-calxeda";
    }

    @Override
    public Module module() {
        return binder -> DeviceTypes.register(binder, CalxedaXgmacType.NAME, CalxedaXgmacType.class);
    }
}
