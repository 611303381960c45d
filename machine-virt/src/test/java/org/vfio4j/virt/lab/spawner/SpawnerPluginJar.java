package org.vfio4j.virt.lab.spawner;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.vfio4j.virt.plugin.DevicePlugin;

/**
 * Writes the {@link SpawnerPlugin} jar from this package's compiled classes, and says which class path entries
 * a VMM must not have for the jar's loader to define them (the test class directories).
 */
public final class SpawnerPluginJar {
    private SpawnerPluginJar() {
    }

    /** Writes {@code dir/test-spawner.jar} and returns {@code dir}. */
    public static Path write(Path dir) throws IOException, URISyntaxException {
        Path classes = Path.of(SpawnerPlugin.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String pkg = SpawnerPlugin.class.getPackageName().replace('.', '/');
        try (OutputStream f = Files.newOutputStream(dir.resolve("test-spawner.jar"));
                JarOutputStream jar = new JarOutputStream(f);
                Stream<Path> files = Files.list(classes.resolve(pkg))) {
            for (Path c : files.filter(p -> p.getFileName().toString().startsWith("SpawnerPlugin")).sorted().toList()) {
                jar.putNextEntry(new JarEntry(pkg + "/" + c.getFileName()));
                jar.write(Files.readAllBytes(c));
                jar.closeEntry();
            }
            jar.putNextEntry(new JarEntry("META-INF/services/" + DevicePlugin.class.getName()));
            jar.write((SpawnerPlugin.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return dir;
    }

    /** {@code classPath} without the test class directories, where {@link SpawnerPlugin} also lives. */
    public static String withoutTestClasses(String classPath) {
        return String.join(":", Stream.of(classPath.split(":")).filter(e -> !e.endsWith("test-classes")
                && !e.endsWith("test-classes/")).toList());
    }
}
