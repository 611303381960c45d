package org.vfio4j.virt.inject;

import org.vfio4j.virt.MachineRunner;
import org.vfio4j.virt.run.KvmRunner;
import org.vfio4j.virt.run.Preboot;

import com.google.inject.AbstractModule;

/**
 * How an assembled machine runs: on KVM ({@link KvmRunner}), which says plainly when the host is not an
 * arm64 KVM host, with the VM set-up ({@link Preboot}) this invocation started before Guice.
 *
 * <p>Why the preboot is bound as an instance: it exists before the injector (it runs beside Guice's start-up),
 * so it comes in from outside like {@code MachineConfig}; an instance binding costs Guice no reflection.
 */
public final class RunnerModule extends AbstractModule {
    private final Preboot preboot;

    /** The runner, with {@code preboot} as the source of its VM. */
    public RunnerModule(Preboot preboot) {
        this.preboot = preboot;
    }

    @Override
    protected void configure() {
        bind(MachineRunner.class).to(KvmRunner.class);
        Constructors.unscoped(binder(), KvmRunner.class);
        bind(Preboot.class).toInstance(preboot);
    }
}
