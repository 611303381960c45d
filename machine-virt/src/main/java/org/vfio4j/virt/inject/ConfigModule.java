package org.vfio4j.virt.inject;

import org.vfio4j.virt.MachineConfig;

import com.google.inject.AbstractModule;

/** Binds the command line's {@link MachineConfig}, which every part reads. */
public final class ConfigModule extends AbstractModule {
    private final MachineConfig config;

    /** Binds {@code config}. */
    public ConfigModule(MachineConfig config) {
        this.config = config;
    }

    @Override
    protected void configure() {
        bind(MachineConfig.class).toInstance(config);
    }
}
