package org.vfio4j.virt.inject;

import org.vfio4j.virt.KvmRequiredRunner;
import org.vfio4j.virt.MachineRunner;

import com.google.inject.AbstractModule;

/**
 * How an assembled machine runs. Until issue 6 brings the KVM back end this is
 * {@link KvmRequiredRunner}; the KVM module will replace this module in {@link VirtModules}.
 */
public final class RunnerModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(MachineRunner.class).to(KvmRequiredRunner.class);
    }
}
