package org.vfio4j.virt.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.virt.AssembledMachine;
import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.VirtMachine;
import org.vfio4j.virt.device.DeviceSpec;
import org.vfio4j.virt.device.DeviceType;
import org.vfio4j.virt.device.DeviceTypes;
import org.vfio4j.virt.device.PlatformBus;
import org.vfio4j.virt.device.PlatformBusAllocator;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;

class VirtModulesTest {

    private static MachineConfig config(Path kernel, List<DeviceSpec> devices) {
        return new MachineConfig(256L << 20, 2, kernel, null, "", devices, null, List.of());
    }

    @Test
    void partsAreSingletonsSharedThroughTheirConsumerInterfaces(@TempDir Path dir) throws Exception {
        Path k = Files.write(dir.resolve("k"), new byte[4096]);
        Injector injector = Guice.createInjector(VirtModules.machine(config(k, List.of(DeviceSpec.parse("platform-stub,compat=a,,b"))), List.of()));
        assertSame(injector.getInstance(PlatformBusAllocator.class), injector.getInstance(PlatformBus.class));
        VirtMachine machine = injector.getInstance(VirtMachine.class);
        assertSame(machine, injector.getInstance(VirtMachine.class));
        AssembledMachine m = machine.assemble();
        assertEquals(1, m.platformAllocations().size());
        assertEquals(m.platformAllocations(), injector.getInstance(PlatformBusAllocator.class).allocations());
        assertTrue(m.deviceTree().find("/platform-bus@c000000/b@0").isPresent(), m.deviceTree().toString());
        assertThrows(IllegalStateException.class, machine::assemble);
    }

    /** A type without an {@code @Inject} constructor: the strict module refuses it at start-up. */
    public static final class NoInjectType implements DeviceType {
        public NoInjectType() {
        }

        @Override public String name() { return "no-inject"; }
        @Override public String description() { return ""; }
        @Override public Bus bus() { return Bus.PLATFORM; }
        @Override public List<org.vfio4j.virt.device.PropertySpec> properties() { return List.of(); }
        @Override public org.vfio4j.virt.device.Device create(org.vfio4j.virt.device.DeviceProps p) { throw new AssertionError(); }
    }

    @Test
    void constructorInjectionIsRequired(@TempDir Path dir) {
        CreationException e = assertThrows(CreationException.class, () -> Guice.createInjector(VirtModules.machine(
                config(dir.resolve("k"), List.of()), List.of(b -> DeviceTypes.register(b, "no-inject", NoInjectType.class)))));
        assertTrue(e.getMessage().contains("@Inject"), e.getMessage());
    }
}
