package org.vfio4j.virt.plugin;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;

import org.vfio4j.virt.UsageException;

import com.google.inject.Module;

/**
 * The plugin jars found in the {@code -plugins} directories, each in its own {@link URLClassLoader}
 * (parent: the class loader of machine-virt, so the plugin sees the framework's types and not the
 * other plugins'), with the modules of the {@link DevicePlugin}s each jar provides.
 *
 * <p>Why one loader per jar: two plugins can then carry different versions of their own helper
 * libraries without clashing. Only providers defined by the jar's own loader count (ServiceLoader
 * also sees the parent's), so a built-in type is never registered twice. Closing this closes the
 * loaders; the machine must not be used afterwards.
 */
public final class PluginJars implements AutoCloseable {
    private final List<URLClassLoader> loaders;
    private final List<DevicePlugin> plugins;
    private boolean closed;

    private PluginJars(List<URLClassLoader> loaders, List<DevicePlugin> plugins) {
        this.loaders = loaders;
        this.plugins = plugins;
    }

    /** No plugins. */
    public static PluginJars none() {
        return new PluginJars(List.of(), List.of());
    }

    /**
     * Loads every {@code *.jar} in each directory (sorted by file name, so the order is stable).
     *
     * @throws UsageException if a directory is missing or a jar provides no {@link DevicePlugin} or a
     *                        broken one, naming the jar
     */
    public static PluginJars load(List<Path> dirs) throws UsageException {
        List<URLClassLoader> loaders = new ArrayList<>();
        List<DevicePlugin> plugins = new ArrayList<>();
        PluginJars result = new PluginJars(loaders, plugins);
        try {
            for (Path dir : dirs) {
                for (Path jar : jars(dir)) {
                    URLClassLoader loader = new URLClassLoader("plugin:" + jar.getFileName(), new URL[] {url(jar)},
                            DevicePlugin.class.getClassLoader());
                    loaders.add(loader);
                    List<DevicePlugin> found = providers(jar, loader);
                    if (found.isEmpty()) {
                        throw new UsageException("plugin jar " + jar + " provides no " + DevicePlugin.class.getName()
                                + " (it needs META-INF/services/" + DevicePlugin.class.getName() + " naming its plugin class)");
                    }
                    plugins.addAll(found);
                }
            }
            return result;
        } catch (UsageException | RuntimeException e) {
            result.close();
            throw e;
        }
    }

    private static List<Path> jars(Path dir) throws UsageException {
        if (!Files.isDirectory(dir)) {
            throw new UsageException("-plugins " + dir + ": no such directory");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new UsageException("-plugins " + dir + ": cannot list it: " + e.getMessage());
        }
    }

    private static URL url(Path jar) throws UsageException {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new UsageException("plugin jar " + jar + ": " + e.getMessage());
        }
    }

    private static List<DevicePlugin> providers(Path jar, ClassLoader loader) throws UsageException {
        try {
            return ServiceLoader.load(DevicePlugin.class, loader).stream()
                    .filter(p -> p.type().getClassLoader() == loader)
                    .map(ServiceLoader.Provider::get)
                    .toList();
        } catch (ServiceConfigurationError e) {
            throw new UsageException("plugin jar " + jar + " is broken: " + e.getMessage());
        }
    }

    /** The plugins, in load order. */
    public List<DevicePlugin> plugins() {
        check();
        return List.copyOf(plugins);
    }

    /** Their Guice modules, in load order. */
    public List<Module> modules() {
        return plugins().stream().map(DevicePlugin::module).toList();
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("plugin jars are closed; load them again to build another machine");
        }
    }

    /** Closes the class loaders (jar files). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (URLClassLoader l : loaders.reversed()) {
            try {
                l.close();
            } catch (IOException e) {
                // Closing a jar file we only read cannot lose data; nothing to do but go on.
            }
        }
    }
}
