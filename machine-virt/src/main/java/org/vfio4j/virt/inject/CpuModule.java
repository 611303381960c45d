package org.vfio4j.virt.inject;

import org.vfio4j.virt.board.Cpus;

import com.google.inject.AbstractModule;

/** The vCPUs with PSCI and the architected timer. */
public final class CpuModule extends AbstractModule {
    @Override
    protected void configure() {
        Constructors.singleton(binder(), Cpus.class);
    }
}
