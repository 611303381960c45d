package org.vfio4j.virt.inject;

import org.vfio4j.virt.board.PcieHost;
import org.vfio4j.virt.device.PlatformBus;
import org.vfio4j.virt.device.PlatformBusAllocator;
import org.vfio4j.virt.pci.PciRootBus;

import com.google.inject.AbstractModule;

/**
 * The buses: the generic ECAM PCIe host and the platform bus. Device types inject
 * {@link PlatformBus} (what they need); the machine injects {@link PlatformBusAllocator} (the same
 * singleton, which it also reports and places).
 */
public final class BusModule extends AbstractModule {
    @Override
    protected void configure() {
        Constructors.singleton(binder(), PcieHost.class);
        Constructors.singleton(binder(), PlatformBusAllocator.class);
        Constructors.singleton(binder(), PciRootBus.class);
        bind(PlatformBus.class).to(PlatformBusAllocator.class);
    }
}
