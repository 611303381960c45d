package org.vfio4j.virt.inject;

import org.vfio4j.virt.VirtMachine;

import com.google.inject.AbstractModule;

/** The machine itself, which assembles the parts the other modules bind. */
public final class MachineModule extends AbstractModule {
    @Override
    protected void configure() {
        Constructors.singleton(binder(), VirtMachine.class);
    }
}
