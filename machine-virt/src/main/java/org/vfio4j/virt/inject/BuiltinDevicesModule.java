package org.vfio4j.virt.inject;

import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.board.PcieHost;
import org.vfio4j.virt.builtin.PlatformStubType;
import org.vfio4j.virt.builtin.VfioAmbaType;
import org.vfio4j.virt.builtin.VfioPlatformType;
import org.vfio4j.virt.device.DeviceRegistry;
import org.vfio4j.virt.device.DeviceTypes;
import org.vfio4j.virt.pci.ManagedHosts;
import org.vfio4j.virt.pci.PciHotplug;
import org.vfio4j.virt.pci.PciRootBus;
import org.vfio4j.virt.pci.PcieRootPortType;
import org.vfio4j.virt.pci.VfioPciType;
import org.vfio4j.virt.run.RunControl;

import com.google.inject.AbstractModule;

/**
 * The framework's own device types, registered exactly as plugin jars register theirs.
 *
 * <p>Registration point for the framework's own types: {@code vfio-pci} and
 * {@code pcie-root-port}, {@code vfio-platform}/{@code vfio-amba}, each one {@code DeviceTypes.register} line;
 * nothing else in the machine changes.
 */
public final class BuiltinDevicesModule extends AbstractModule {
    @Override
    protected void configure() {
        DeviceTypes.register(binder(), PlatformStubType.NAME, PlatformStubType.class);
        DeviceTypes.register(binder(), VfioPlatformType.NAME, VfioPlatformType.class);
        DeviceTypes.register(binder(), VfioAmbaType.NAME, VfioAmbaType.class);
        DeviceTypes.register(binder(), VfioPciType.NAME, VfioPciType.class);
        DeviceTypes.register(binder(), PcieRootPortType.NAME, PcieRootPortType.class);
        Constructors.singleton(binder(), PcieRootPortType.class, PciRootBus.class);
        Constructors.singleton(binder(), PciHotplug.class, DeviceRegistry.class, PciRootBus.class, RunControl.class);
        Constructors.unscoped(binder(), PlatformStubType.class);
        Constructors.unscoped(binder(), VfioPlatformType.class);
        Constructors.unscoped(binder(), VfioAmbaType.class);
        bind(ManagedHosts.class).toInstance(ManagedHosts.system());
        Constructors.singleton(binder(), VfioPciType.class,
                PciRootBus.class, PcieHost.class, MachineConfig.class, ManagedHosts.class, RunControl.class);
    }
}
