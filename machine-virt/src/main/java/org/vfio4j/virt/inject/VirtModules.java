package org.vfio4j.virt.inject;

import java.util.ArrayList;
import java.util.List;

import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.run.Preboot;
import org.vfio4j.virt.run.RunControl;
import org.vfio4j.virt.run.SerialBackend;

import com.google.inject.Module;

/**
 * The module list that makes a virt machine: one module per part, the built-in device types, and
 * the plugin jars' modules last.
 *
 * {@snippet :
 * Injector injector = Guice.createInjector(VirtModules.machine(config, plugins.modules()));
 * AssembledMachine m = injector.getInstance(VirtMachine.class).assemble();
 * }
 */
public final class VirtModules {
    private VirtModules() {
    }

    /**
     * Every module for {@code config}, with {@code pluginModules} appended; the runner sets up its VM itself, when
     * it runs ({@link Preboot#onDemand}).
     */
    public static List<Module> machine(MachineConfig config, List<Module> pluginModules) {
        return machine(config, Preboot.onDemand(config), new RunControl(false), pluginModules);
    }

    /**
     * Every module for {@code config}, the runner taking its VM from {@code preboot} (started by the caller, who
     * also closes it) and its run state from {@code control}, with {@code pluginModules} appended.
     */
    public static List<Module> machine(MachineConfig config, Preboot preboot, RunControl control,
            List<Module> pluginModules) {
        return machine(config, preboot, control, SerialBackend.console(), pluginModules);
    }

    /** The same, with {@code serial} (opened by the caller, who also closes it) as the UART's backend. */
    public static List<Module> machine(MachineConfig config, Preboot preboot, RunControl control, SerialBackend serial,
            List<Module> pluginModules) {
        List<Module> all = new ArrayList<>(List.of(
                new StrictBindingModule(),
                new ConfigModule(config),
                new MemoryMapModule(config),
                new InterruptControllerModule(),
                new CpuModule(),
                new ConsoleModule(),
                new BusModule(),
                new LoaderModule(),
                new DeviceRegistryModule(),
                new BuiltinDevicesModule(),
                new RunnerModule(preboot, control, serial),
                new MachineModule()));
        all.addAll(pluginModules);
        return all;
    }
}
