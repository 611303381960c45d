package org.vfio4j.virt.plugin;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Stream;

import org.vfio4j.common.sys.Native;
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
 *
 * <p>Why ownership is checked: a plugin's classes run in the VMM with every privilege it has (its devices,
 * its memory, often root). A directory or jar that another user could write, or replace through a symbolic
 * link, would let that user run code there; such a directory or jar is refused, with the reason, before
 * anything is loaded from it. Only the user running the VMM and root may own them.
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
        int user = Native.geteuid();
        checkTrusted(dir, user, "plugin directory");
        List<Path> jars;
        try (Stream<Path> s = Files.list(dir)) {
            jars = s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UsageException("-plugins " + dir + ": cannot list it: " + e.getMessage());
        }
        for (Path jar : jars) {
            checkTrusted(jar, user, "plugin jar");
        }
        return jars;
    }

    /**
     * Refuses {@code path} unless it is a real file or directory (not a symbolic link) owned by {@code user} or
     * root and writable by neither its group nor everyone.
     */
    static void checkTrusted(Path path, int user, String what) throws UsageException {
        int owner;
        Set<PosixFilePermission> perms;
        boolean link = Files.isSymbolicLink(path);
        try {
            owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            perms = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new UsageException(what + " " + path + ": cannot check who owns it (" + e.getMessage()
                    + "); plugins are loaded only from files whose owner can be checked");
        }
        String why = link ? "is a symbolic link (give the directory or jar it points to)"
                : owner != user && owner != 0 ? "is owned by uid " + owner + ", neither you (uid " + user + ") nor root"
                : perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)
                        ? "is writable by its group or by everyone (chmod go-w " + path + ")"
                        : null;
        if (why != null) {
            throw new UsageException(what + " " + path + " " + why + "; its code would run inside the VMM, so "
                    + "vfio4j loads plugins only from files no other user can change");
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
