package org.vfio4j.virt.inject;

import com.google.inject.AbstractModule;

/**
 * Makes the assembly's rules checked rather than conventional: every injected class (including
 * plugin device types) must have an {@code @Inject} constructor, and Guice may not paper over a
 * dependency cycle with a proxy.
 */
public final class StrictBindingModule extends AbstractModule {
    @Override
    protected void configure() {
        binder().requireAtInjectOnConstructors();
        binder().disableCircularProxies();
    }
}
