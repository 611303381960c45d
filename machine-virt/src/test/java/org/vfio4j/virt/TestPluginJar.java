package org.vfio4j.virt;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.vfio4j.common.dt.DtNode;
import org.vfio4j.virt.plugin.DevicePlugin;

/**
 * Builds a device-type plugin jar the way a third party would: sources compiled with javax.tools
 * against machine-virt, vfio-common, Guice and jakarta.inject (not packaged into the jar), plus a
 * {@code META-INF/services} entry. Its type {@code test-widget} asks the platform bus for one region
 * and two interrupts (level, then edge) and adds a {@code label} property from {@code -device}.
 */
final class TestPluginJar {
    private TestPluginJar() {
    }

    static final String PLUGIN = """
            package testplugin;

            import com.google.inject.Module;
            import org.vfio4j.virt.device.DeviceTypes;
            import org.vfio4j.virt.plugin.DevicePlugin;

            public final class WidgetPlugin implements DevicePlugin {
                public String name() { return "test-widgets"; }
                public Module module() {
                    return binder -> DeviceTypes.register(binder, "test-widget", WidgetType.class);
                }
            }
            """;

    static final String TYPE = """
            package testplugin;

            import java.util.List;
            import jakarta.inject.Inject;
            import org.vfio4j.common.dt.DtProperty;
            import org.vfio4j.virt.board.Trigger;
            import org.vfio4j.virt.device.*;

            public final class WidgetType implements DeviceType {
                private final PlatformBus bus;
                @Inject public WidgetType(PlatformBus bus) { this.bus = bus; }
                public String name() { return "test-widget"; }
                public String description() { return "a widget from a plugin jar"; }
                public Bus bus() { return Bus.PLATFORM; }
                public List<PropertySpec> properties() {
                    return List.of(PropertySpec.string("label", "what the widget is called", "widget"),
                                   PropertySpec.size("size", "register window", 0x2000));
                }
                public Device create(DeviceProps props) throws DeviceException {
                    PlatformAllocation a = bus.allocate(props.id(), List.of(props.uint("size")), 2);
                    return new SimpleSysBusDevice(props.id(), a,
                            a.nodeBuilder("widget", List.of("acme,widget"), Trigger.LEVEL_HIGH, Trigger.EDGE_RISING)
                             .property(DtProperty.strings("label", props.string("label")))
                             .property(DtProperty.empty("dma-coherent"))
                             .build());
                }
            }
            """;

    /** Compiles the plugin and writes {@code dir/test-widgets.jar}. */
    static Path build(Path work, Path pluginDir) throws IOException {
        Path src = Files.createDirectories(work.resolve("src/testplugin"));
        Files.writeString(src.resolve("WidgetPlugin.java"), PLUGIN);
        Files.writeString(src.resolve("WidgetType.java"), TYPE);
        Path classes = Files.createDirectories(work.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler: run the tests on a JDK, not a JRE");
        }
        String cp = String.join(java.io.File.pathSeparator, location(DevicePlugin.class), location(DtNode.class),
                location(com.google.inject.Module.class), location(jakarta.inject.Inject.class));
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", cp, "-proc:none"));
        args.add(src.resolve("WidgetPlugin.java").toString());
        args.add(src.resolve("WidgetType.java").toString());
        int rc = javac.run(null, null, null, args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("javac failed for the test plugin (status " + rc + ")");
        }
        Files.createDirectories(pluginDir);
        Path jar = pluginDir.resolve("test-widgets.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("META-INF/services/" + DevicePlugin.class.getName()));
            out.write("testplugin.WidgetPlugin\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            try (Stream<Path> files = Files.walk(classes)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    try (OutputStream o = OutputStream.nullOutputStream()) {
                        out.write(Files.readAllBytes(f));
                    }
                    out.closeEntry();
                }
            }
        }
        return jar;
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
