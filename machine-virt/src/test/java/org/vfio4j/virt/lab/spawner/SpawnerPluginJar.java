package org.vfio4j.virt.lab.spawner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.vfio4j.virt.plugin.DevicePlugin;

/**
 * Writes the {@link SpawnerPlugin} jar from its compiled classes, and says which class path entries a VMM must
 * not have for the jar's loader to define them (the test classes).
 */
public final class SpawnerPluginJar {
    private SpawnerPluginJar() {
    }

    /**
     * Writes {@code dir/test-spawner.jar} and returns {@code dir}. The class files are read as resources, so they
     * come from a directory or, in the lab, from the jar the runner packs the test classes into.
     */
    public static Path write(Path dir) throws IOException {
        String pkg = SpawnerPlugin.class.getPackageName().replace('.', '/');
        List<Class<?>> classes = new ArrayList<>(List.of(SpawnerPlugin.class));
        classes.addAll(List.of(SpawnerPlugin.class.getDeclaredClasses()));
        try (OutputStream f = Files.newOutputStream(dir.resolve("test-spawner.jar"));
                JarOutputStream jar = new JarOutputStream(f)) {
            for (Class<?> c : classes) {
                String file = c.getName().substring(c.getPackageName().length() + 1) + ".class";
                try (InputStream in = Objects.requireNonNull(SpawnerPlugin.class.getResourceAsStream(file), file)) {
                    jar.putNextEntry(new JarEntry(pkg + "/" + file));
                    jar.write(in.readAllBytes());
                    jar.closeEntry();
                }
            }
            jar.putNextEntry(new JarEntry("META-INF/services/" + DevicePlugin.class.getName()));
            jar.write((SpawnerPlugin.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return dir;
    }

    /**
     * {@code classPath} without the test classes, where {@link SpawnerPlugin} also lives: the {@code test-classes}
     * directories, or the lab runner's jars of them ({@code MODULE-test-classes-HASH.jar}).
     */
    public static String withoutTestClasses(String classPath) {
        return String.join(":", Stream.of(classPath.split(":"))
                .filter(e -> !Path.of(e).getFileName().toString().contains("test-classes")).toList());
    }
}
