package org.vfio4j.virt.inject;

import org.vfio4j.virt.MachineRunner;
import org.vfio4j.virt.run.KvmRunner;

import com.google.inject.AbstractModule;

/**
 * How an assembled machine runs: on KVM ({@link KvmRunner}), which says plainly when the host is not an
 * arm64 KVM host.
 */
public final class RunnerModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(MachineRunner.class).to(KvmRunner.class);
        Constructors.unscoped(binder(), KvmRunner.class);
    }
}
