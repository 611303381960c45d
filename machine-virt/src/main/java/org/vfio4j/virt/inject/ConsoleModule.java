package org.vfio4j.virt.inject;

import org.vfio4j.virt.board.Pl011;

import com.google.inject.AbstractModule;

/** The console: a PL011 UART and its APB clock. */
public final class ConsoleModule extends AbstractModule {
    @Override
    protected void configure() {
        Constructors.singleton(binder(), Pl011.class);
    }
}
