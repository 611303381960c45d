package org.vfio4j.virt.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.VirtMachine;
import org.vfio4j.virt.board.Cpus;
import org.vfio4j.virt.board.Gicv3;
import org.vfio4j.virt.device.DeviceRegistry;
import org.vfio4j.virt.pci.VfioPciType;
import org.vfio4j.virt.run.KvmRunner;

import com.google.inject.Binding;
import com.google.inject.Scopes;
import com.google.inject.spi.ConstructorBinding;
import com.google.inject.spi.Element;
import com.google.inject.spi.Elements;

import jakarta.inject.Inject;

class ConstructorsTest {

    private static List<ConstructorBinding<?>> constructorBindings() {
        MachineConfig config = new MachineConfig(256L << 20, 1, Path.of("k"), null, "", List.of(), null, List.of());
        List<ConstructorBinding<?>> out = new ArrayList<>();
        for (Element e : Elements.getElements(VirtModules.machine(config, List.of()))) {
            if (e instanceof ConstructorBinding<?> b) {
                out.add(b);
            }
        }
        return out;
    }

    @Test
    void everyBoundConstructorIsTheInjectOneAndNoBoundClassCarriesAScopeAnnotation() {
        List<ConstructorBinding<?>> bindings = constructorBindings();
        assertTrue(bindings.size() >= 14, "the machine's parts are bound to constructors: " + bindings.size());
        for (ConstructorBinding<?> b : bindings) {
            Constructor<?> c = (Constructor<?>) b.getConstructor().getMember();
            assertTrue(c.isAnnotationPresent(Inject.class), c + " is bound but is not the @Inject constructor");
            Class<?> type = c.getDeclaringClass();
            assertFalse(type.isAnnotationPresent(jakarta.inject.Singleton.class)
                    || type.isAnnotationPresent(com.google.inject.Singleton.class),
                    type + ": scope it in its module, not with an annotation Guice would read at start-up");
        }
    }

    @Test
    void scopesAreTheModulesOwn() {
        Set<Class<?>> singletons = Set.of(Cpus.class, Gicv3.class, VirtMachine.class, DeviceRegistry.class, VfioPciType.class);
        int seen = 0;
        for (ConstructorBinding<?> b : constructorBindings()) {
            Class<?> type = b.getKey().getTypeLiteral().getRawType();
            if (singletons.contains(type)) {
                assertTrue(Scopes.isSingleton(b), type + " is one per machine");
                seen++;
            }
            if (type == KvmRunner.class) {
                assertFalse(Scopes.isSingleton(b), "a runner per run");
                seen++;
            }
        }
        assertEquals(singletons.size() + 1, seen);
    }

    @Test
    void aClassWithSeveralConstructorsNeedsItsParametersNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Constructors.of(VfioPciType.class));
        assertTrue(e.getMessage().contains("name the parameters"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Constructors.of(Cpus.class, String.class));
    }
}
