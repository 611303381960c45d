package org.vfio4j.virt.inject;

import java.util.random.RandomGenerator;

import org.vfio4j.virt.board.BootLoader;
import org.vfio4j.virt.board.UrandomSeeds;

import com.google.inject.AbstractModule;

/** The loader and its source of boot entropy ({@code rng-seed}, {@code kaslr-seed}: {@link UrandomSeeds}). */
public final class LoaderModule extends AbstractModule {
    @Override
    protected void configure() {
        Constructors.singleton(binder(), BootLoader.class);
        bind(RandomGenerator.class).toInstance(new UrandomSeeds());
    }
}
