package org.vfio4j.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds a synthetic sysfs tree (devices, buses, drivers, IOMMU groups) for tests that must not need a lab. */
public final class FakeSysfs {
    private final Path sys;

    public FakeSysfs(Path sys) {
        this.sys = sys;
    }

    public Path root() {
        return sys;
    }

    /** The lab's shape: edu on vfio-pci alone; a bridge group with e1000 on its host driver; an AMBA RTC. */
    public static FakeSysfs labLike(Path dir) throws IOException {
        FakeSysfs f = new FakeSysfs(dir);
        f.device(3, "0000:00:04.0", "pci", "vfio-pci", "0x1234", "0x11e8", "0x00ff00");
        f.device(9, "0000:01:00.0", "pci", "", "0x1b36", "0x000e", "0x060400");
        f.device(9, "0000:02:01.0", "pci", "e1000", "0x8086", "0x100e", "0x020000");
        f.device(9, "0000:02:02.0", "pci", "vfio-pci", "0x1234", "0x11e8", "0x00ff00");
        f.device(12, "9010000.pl031", "amba", "rtc-pl031", "", "", "");
        return f;
    }

    public void device(int group, String name, String bus, String driver, String vendor, String dev, String cls)
            throws IOException {
        Path d = Files.createDirectories(sys.resolve("devices/pci0000:00/" + name));
        Path busDir = Files.createDirectories(sys.resolve("bus/" + bus));
        Files.createDirectories(busDir.resolve("devices"));
        Files.createSymbolicLink(d.resolve("subsystem"), busDir);
        if (!driver.isEmpty()) {
            Files.createSymbolicLink(d.resolve("driver"), Files.createDirectories(busDir.resolve("drivers/" + driver)));
        }
        if (!vendor.isEmpty()) {
            Files.writeString(d.resolve("vendor"), vendor + "\n");
            Files.writeString(d.resolve("device"), dev + "\n");
            Files.writeString(d.resolve("class"), cls + "\n");
        }
        Path g = Files.createDirectories(sys.resolve("kernel/iommu_groups/" + group + "/devices"));
        Files.createSymbolicLink(g.resolve(name), d);
        Files.createSymbolicLink(d.resolve("iommu_group"), g.getParent());
        Files.createSymbolicLink(busDir.resolve("devices/" + name), d);
    }

    /** Gives device {@code name} the VFIO cdev {@code cdev} ({@code vfioN}), as a kernel with device cdevs shows it. */
    public void cdev(String name, String cdev) throws IOException {
        Files.createDirectories(sys.resolve("devices/pci0000:00/" + name + "/vfio-dev/" + cdev));
    }
}
