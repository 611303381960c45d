package org.vfio4j.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The lab host as seen by a test running inside it: rebinding its PCI devices and running shell
 * commands as root.
 *
 * <p>Why: every VFIO test starts by taking a device away from its host driver and giving it to
 * vfio-pci, exactly as an administrator would on a real host ({@code driver_override} then
 * {@code drivers_probe}), and many end by giving it back. Doing that through sysfs from Java keeps
 * tests free of shell snippets and gives errors that name the device and the sysfs file.
 * Only usable inside the lab; {@link LabExtension} resolves it as a test method parameter.
 *
 * {@snippet :
 * @LabTest
 * class NvmeLabTest {
 *     @Test void owns(LabHost host) throws Exception {
 *         String group = host.bindToVfio(LabDevice.NVME);   // e.g. "4"
 *         assertTrue(Files.exists(Path.of("/dev/vfio", group)));
 *     }
 * }
 * }
 */
public final class LabHost {
    private static final Path PCI = Path.of("/sys/bus/pci");

    LabHost() {
    }

    /** Unbinds {@code d} from its driver, binds it to vfio-pci and returns its IOMMU group number. */
    public String bindToVfio(LabDevice d) {
        bind(d, "vfio-pci");
        String group = iommuGroup(d);
        if (!Files.exists(Path.of("/dev/vfio", group))) {
            throw new LabException(d + " (" + d.bdf() + ") is bound to vfio-pci but /dev/vfio/" + group
                    + " does not exist; is the vfio module loaded?");
        }
        return group;
    }

    /** Gives {@code d} back to its host driver ({@link LabDevice#hostDriver()}); edu ends up with no driver. */
    public void bindToHostDriver(LabDevice d) {
        bind(d, d.hostDriver());
    }

    /** The IOMMU group number of {@code d}, e.g. {@code "4"}. */
    public String iommuGroup(LabDevice d) {
        check();
        try {
            return Files.readSymbolicLink(device(d).resolve("iommu_group")).getFileName().toString();
        } catch (IOException e) {
            throw new LabException(d + " (" + d.bdf() + ") has no IOMMU group (" + e.getMessage()
                    + "); is intel_iommu=on in effect?", e);
        }
    }

    /** The driver {@code d} is bound to now, or "" when none. */
    public String driver(LabDevice d) {
        check();
        Path link = device(d).resolve("driver");
        try {
            return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : "";
        } catch (IOException e) {
            throw new LabException("reading " + link + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code command} with {@code /bin/sh -c} as root in the lab host; stderr is merged into the
     * output. A command still running after 5 minutes is killed and reported.
     */
    public LabResult sh(String command) {
        check();
        Process p;
        try {
            p = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new LabException("cannot run /bin/sh -c '" + command + "': " + e.getMessage(), e);
        }
        var out = new java.io.ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // the process is gone; what it wrote is what we have
            }
        });
        try {
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new LabException("'" + command + "' did not finish in 5 minutes; it was killed");
            }
            reader.join(java.time.Duration.ofSeconds(10)); // a background child may keep the pipe open
            return new LabResult(p.exitValue(), out.toString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running '" + command + "'", e);
        } finally {
            p.destroyForcibly();
        }
    }

    private void bind(LabDevice d, String driver) {
        check();
        Path dev = device(d);
        String current = driver(d);
        if (current.equals(driver) && !driver.isEmpty()) {
            return;
        }
        if (!current.isEmpty()) {
            write(d, dev.resolve("driver/unbind"), d.bdf(), "unbinding from " + current);
        }
        // An empty driver_override ("\n") clears it, so the normal ID match picks the host driver again.
        write(d, dev.resolve("driver_override"), driver.isEmpty() ? "\n" : driver, "setting driver_override");
        if (!driver.isEmpty()) {
            write(d, PCI.resolve("drivers_probe"), d.bdf(), "probing for " + driver);
        } else {
            // edu has no host driver: stay unbound, but make sure vfio-pci did not take it back.
            write(d, PCI.resolve("drivers_probe"), d.bdf(), "probing");
        }
        String now = driver(d);
        if (!now.equals(driver)) {
            throw new LabException("binding " + d + " (" + d.bdf() + ") to " + (driver.isEmpty() ? "no driver" : driver)
                    + " failed: it is bound to " + (now.isEmpty() ? "no driver" : now) + "; see dmesg in the lab host");
        }
    }

    private static void write(LabDevice d, Path file, String value, String what) {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new LabException(what + " for " + d + " (" + d.bdf() + "): writing '" + value.strip() + "' to "
                    + file + " failed: " + e.getMessage(), e);
        }
    }

    private static Path device(LabDevice d) {
        return PCI.resolve("devices").resolve(d.bdf());
    }

    private static void check() {
        if (!Lab.inLab()) {
            throw new IllegalStateException("LabHost is only usable inside the lab host; annotate the test class with"
                    + " @LabTest so its body runs there");
        }
    }
}
