package org.vfio4j.virt.inject;

import java.security.SecureRandom;

import org.vfio4j.virt.board.BootLoader;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;

/** The loader and its source of boot entropy ({@code rng-seed}, {@code kaslr-seed}). */
public final class LoaderModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(BootLoader.class);
    }

    @Provides
    static SecureRandom random() {
        return new SecureRandom();
    }
}
