package org.vfio4j.lab;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The lab module's resources (kernel config fragment, build and fetch scripts, the lab hosts' init scripts).
 *
 * <p>Why one reader: both labs' {@code /init} scripts start the same way (busybox applets, the pseudo file
 * systems, {@code fail} and the output port), kept once in {@code init-prelude.sh}; {@link #initScript}
 * puts it in place of the {@code @PRELUDE@} line, so the x86 and the aarch64 lab cannot drift apart there.
 */
final class LabResources {
    static final String PRELUDE = "@PRELUDE@";

    private LabResources() {
    }

    /** The bytes of resource {@code name} (relative to this package). */
    static byte[] bytes(String name) {
        try (InputStream in = LabResources.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new LabException(name + " missing from the lab's class path (rebuild the lab module)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new LabException("reading the lab resource " + name + " failed: " + e.getMessage(), e);
        }
    }

    /** Init script {@code name} with the shared prelude in place of its {@code @PRELUDE@} line. */
    static String initScript(String name) {
        String script = new String(bytes(name), StandardCharsets.UTF_8);
        if (!script.contains(PRELUDE)) {
            throw new LabException(name + " has no " + PRELUDE + " line for the shared init prelude");
        }
        return script.replace(PRELUDE, new String(bytes("init-prelude.sh"), StandardCharsets.UTF_8).strip());
    }
}
