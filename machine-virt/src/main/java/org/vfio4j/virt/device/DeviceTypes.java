package org.vfio4j.virt.device;

import com.google.inject.Binder;
import com.google.inject.multibindings.MapBinder;

/**
 * The one registration point for device types: {@code DeviceTypes.register(binder(), "name",
 * Type.class)} in a Guice module adds a type to the map the {@link DeviceRegistry} reads. Built-in
 * types ({@code org.vfio4j.virt.inject.BuiltinDevicesModule}, later {@code vfio-pci} and
 * {@code vfio-platform}) and plugin jars' modules call it alike.
 *
 * <p>Why a MapBinder keyed by name: Guice then rejects two types with the same name at start-up, and
 * each type is constructed with its own injected dependencies.
 */
public final class DeviceTypes {
    private DeviceTypes() {
    }

    /** The map binder every module contributes to (safe to call from many modules). */
    public static MapBinder<String, DeviceType> mapBinder(Binder binder) {
        return MapBinder.newMapBinder(binder, String.class, DeviceType.class);
    }

    /**
     * Registers {@code type} under {@code name}; {@code name} must equal what the type's
     * {@link DeviceType#name()} returns (the registry checks).
     */
    public static void register(Binder binder, String name, Class<? extends DeviceType> type) {
        mapBinder(binder).addBinding(name).to(type);
    }
}
