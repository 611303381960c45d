package org.vfio4j.virt.inject;

import org.vfio4j.virt.MachineRunner;
import org.vfio4j.virt.run.KvmRunner;
import org.vfio4j.virt.run.Preboot;
import org.vfio4j.virt.run.RunControl;
import org.vfio4j.virt.run.SerialBackend;

import com.google.inject.AbstractModule;

/**
 * How an assembled machine runs: on KVM ({@link KvmRunner}), which says plainly when the host is not an
 * arm64 KVM host, with the VM set-up ({@link Preboot}) this invocation started before Guice and the run state
 * ({@link RunControl}) the QMP sockets, opened before Guice too, act on.
 *
 * <p>Why the preboot is bound as an instance: it exists before the injector (it runs beside Guice's start-up),
 * so it comes in from outside like {@code MachineConfig}; an instance binding costs Guice no reflection.
 */
public final class RunnerModule extends AbstractModule {
    private final Preboot preboot;
    private final RunControl control;
    private final SerialBackend serial;

    /**
     * The runner, with {@code preboot} as the source of its VM, {@code control} as its run state and {@code serial}
     * as its UART's backend.
     */
    public RunnerModule(Preboot preboot, RunControl control, SerialBackend serial) {
        this.preboot = preboot;
        this.control = control;
        this.serial = serial;
    }

    @Override
    protected void configure() {
        bind(MachineRunner.class).to(KvmRunner.class);
        Constructors.unscoped(binder(), KvmRunner.class);
        bind(Preboot.class).toInstance(preboot);
        bind(RunControl.class).toInstance(control);
        bind(SerialBackend.class).toInstance(serial);
    }
}
