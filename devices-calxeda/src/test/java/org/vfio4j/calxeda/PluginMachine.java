package org.vfio4j.calxeda;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Runs machine-virt as a user would with this plugin: the plugin jar is built from this module's compiled
 * classes into a plugin directory, and {@code org.vfio4j.virt.Main} runs in its own JVM whose class path is the
 * test's minus this module's classes — so the plugin can only come from {@code -plugins}.
 */
final class PluginMachine {
    private PluginMachine() {
    }

    record Run(int status, String out, String err) {
        @Override
        public String toString() {
            return "status " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Writes {@code dir/devices-calxeda.jar} from the compiled main classes (with the service entry). */
    static Path buildJar(Path dir) throws IOException {
        Path classes = classesDir();
        Files.createDirectories(dir);
        Path jar = dir.resolve("devices-calxeda.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        return jar;
    }

    static Run run(Path work, String... args) throws IOException, InterruptedException {
        Path classes = classesDir();
        Path tests = classes.resolveSibling("test-classes");
        List<String> cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !Path.of(e).toAbsolutePath().equals(classes) && !Path.of(e).toAbsolutePath().equals(tests))
                .toList();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", String.join(File.pathSeparator, cp), "org.vfio4j.virt.Main"));
        cmd.addAll(List.of(args));
        Path out = work.resolve("main.out");
        Path err = work.resolve("main.err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException("machine-virt did not finish in 120 s; killed");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    static Path dummyKernel(Path dir) throws IOException {
        Path k = dir.resolve("Image");
        try (OutputStream o = Files.newOutputStream(k)) {
            o.write(new byte[1_000_000]);
        }
        return k;
    }

    private static Path classesDir() {
        try {
            return Path.of(CalxedaPlugin.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
