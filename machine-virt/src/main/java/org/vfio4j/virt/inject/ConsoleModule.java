package org.vfio4j.virt.inject;

import org.vfio4j.virt.board.Pl011;
import org.vfio4j.virt.board.Pl061;

import com.google.inject.AbstractModule;

/** The console and the power button: a PL011 UART and its APB clock, a PL061 GPIO with its gpio-keys. */
public final class ConsoleModule extends AbstractModule {
    @Override
    protected void configure() {
        Constructors.singleton(binder(), Pl011.class);
        Constructors.singleton(binder(), Pl061.class);
    }
}
