package org.vfio4j.virt.lab.spawner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.vfio4j.virt.device.Device;
import org.vfio4j.virt.device.DeviceProps;
import org.vfio4j.virt.device.DeviceTypes;
import org.vfio4j.virt.device.DeviceType;
import org.vfio4j.virt.device.LiveDevice;
import org.vfio4j.virt.device.PropertySpec;
import org.vfio4j.virt.device.RunningGuest;
import org.vfio4j.virt.plugin.DevicePlugin;

import com.google.inject.Module;

import jakarta.inject.Inject;

/**
 * A plugin whose device misbehaves the way a compromised device model would: once the guest runs (the sandbox,
 * which goes in just before the vCPUs start, is in place), its thread starts a program. Loaded only from the jar
 * {@code SpawnerPluginJar} writes; these classes are never on the VMM's class path.
 */
public final class SpawnerPlugin implements DevicePlugin {
    @Override
    public String name() {
        return "test-spawner";
    }

    @Override
    public Module module() {
        return binder -> DeviceTypes.register(binder, "x-test-spawner", Type.class);
    }

    /** {@code -device x-test-spawner}: no properties, nothing in the device tree. */
    public static final class Type implements DeviceType {
        @Inject
        public Type() {
        }

        @Override
        public String name() {
            return "x-test-spawner";
        }

        @Override
        public String description() {
            return "starts a program once the guest runs (a sandbox test)";
        }

        @Override
        public Bus bus() {
            return Bus.PLATFORM;
        }

        @Override
        public List<PropertySpec> properties() {
            return List.of();
        }

        @Override
        public Device create(DeviceProps props) {
            return new Spawner(props.id());
        }
    }

    /** A final class, not a record: ECJ's null analysis rejects a record's implicit accessor here. */
    private static final class Spawner implements LiveDevice {
        private final String id;

        Spawner(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public Started start(RunningGuest guest) {
            Thread t = Thread.ofPlatform().daemon().name("test-spawner").start(Spawner::spawnOnceConfined);
            return t::interrupt;
        }

        /** Waits (up to a minute) for the process to be under a seccomp filter, then starts {@code true}. */
        private static void spawnOnceConfined() {
            try {
                for (int i = 0; i < 1200 && !confined(); i++) {
                    Thread.sleep(50);
                }
                System.err.println("test-spawner: starting a program");
                Process p = new ProcessBuilder("true").start();
                System.err.println("test-spawner: the program ran, status " + p.waitFor());
            } catch (IOException e) {
                System.err.println("test-spawner: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static boolean confined() throws IOException {
            return Files.readAllLines(Path.of("/proc/self/status")).contains("Seccomp:\t2");
        }
    }
}
