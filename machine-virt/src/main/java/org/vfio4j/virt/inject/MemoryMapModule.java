package org.vfio4j.virt.inject;

import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.board.MemoryMap;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;

import jakarta.inject.Singleton;

/** The memory map, sized by {@code -m}. */
public final class MemoryMapModule extends AbstractModule {
    @Provides
    @Singleton
    static MemoryMap memoryMap(MachineConfig config) {
        return MemoryMap.forRam(config.ramBytes());
    }
}
