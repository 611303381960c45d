package org.vfio4j.virt.inject;

import java.lang.reflect.Constructor;

import com.google.inject.Binder;
import com.google.inject.Scopes;

/**
 * Binds the machine's parts to their constructors, with their scope, in the modules instead of letting Guice find
 * both through annotations.
 *
 * <p>Why: Guice reads {@code @Inject} on a constructor it has to find, and the annotations of every bound class
 * (a scope, a binding restriction), with reflection, and the JDK makes each annotation it reads an instance of a
 * proxy class generated at run time (one per annotation type), which the JDK 25 AOT cache cannot keep: ~0.1 s
 * each when the VMM's JVM runs under emulation (the aarch64 lab; machine-virt/README.md, "Boot benchmark"). So
 * the parts keep {@code @Inject} on the constructor bound here (it documents which one, and plugins' types are
 * still found through it) but carry no {@code @Singleton}: their scope is the module's. {@code ConstructorsTest}
 * checks both rules for every binding made here.
 */
final class Constructors {
    private Constructors() {
    }

    /**
     * Binds {@code type} to its {@code @Inject} constructor, as one instance per injector: the constructor taking
     * {@code parameters}, or with none given, the class's only one.
     */
    static <T> void singleton(Binder binder, Class<T> type, Class<?>... parameters) {
        binder.bind(type).toConstructor(of(type, parameters)).in(Scopes.SINGLETON);
    }

    /** As {@link #singleton}, a new instance per injection. */
    static <T> void unscoped(Binder binder, Class<T> type, Class<?>... parameters) {
        binder.bind(type).toConstructor(of(type, parameters));
    }

    /** {@code type}'s constructor taking {@code parameters}, or with none given, its only declared one. */
    @SuppressWarnings("unchecked")
    static <T> Constructor<T> of(Class<T> type, Class<?>... parameters) {
        try {
            if (parameters.length > 0) {
                return type.getDeclaredConstructor(parameters);
            }
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + " has no constructor with the parameters bound", e);
        }
        Constructor<?>[] all = type.getDeclaredConstructors();
        if (all.length != 1) {
            throw new IllegalStateException(type.getName() + " has " + all.length + " constructors: name the parameters");
        }
        return (Constructor<T>) all[0];
    }
}
