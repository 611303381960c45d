package org.vfio4j.virt.inject;

import org.vfio4j.virt.board.Gicv3;

import com.google.inject.AbstractModule;

/** The interrupt controller: a GICv3 with ITS. */
public final class InterruptControllerModule extends AbstractModule {
    @Override
    protected void configure() {
        Constructors.singleton(binder(), Gicv3.class);
    }
}
