package org.vfio4j.virt.inject;

import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.board.MemoryMap;

import com.google.inject.AbstractModule;

/**
 * The memory map, sized by {@code -m}.
 *
 * <p>Why an instance binding rather than a {@code @Provides} method: the map is a pure function of the
 * command line, and a provider method makes Guice parse the method's annotations at start-up (each annotation
 * type read through reflection costs a generated proxy class, seconds under an emulated lab JVM).
 */
public final class MemoryMapModule extends AbstractModule {
    private final MachineConfig config;

    /** The map for {@code config}'s RAM size. */
    public MemoryMapModule(MachineConfig config) {
        this.config = config;
    }

    @Override
    protected void configure() {
        bind(MemoryMap.class).toInstance(MemoryMap.forRam(config.ramBytes()));
    }
}
