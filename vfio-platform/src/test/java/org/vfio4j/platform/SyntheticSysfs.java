package org.vfio4j.platform;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A fake {@code /sys} with what vfio-platform reads: bus and device directories with their driver, subsystem,
 * iommu_group and of_node links, IOMMU groups (with the no-IOMMU name), and a device tree under
 * firmware/devicetree/base with a three-cell GIC as interrupt parent.
 */
public final class SyntheticSysfs {
    public final Path sys;

    public SyntheticSysfs(Path root) throws IOException {
        this.sys = root.resolve("sys");
        Path base = Files.createDirectories(sys.resolve("firmware/devicetree/base"));
        cells(base.resolve("#address-cells"), 2);
        cells(base.resolve("#size-cells"), 2);
        cells(base.resolve("interrupt-parent"), 1);
        Path gic = Files.createDirectories(base.resolve("intc@8000000"));
        cells(gic.resolve("phandle"), 1);
        cells(gic.resolve("#interrupt-cells"), 3);
        Path soc = Files.createDirectories(base.resolve("soc"));
        cells(soc.resolve("#address-cells"), 1);
        cells(soc.resolve("#size-cells"), 1);
    }

    /** Interrupt flags as in the GIC binding. */
    public static final int EDGE = 1;
    public static final int LEVEL = 4;

    /**
     * A device {@code name} on {@code bus} bound to {@code driver} ("" = unbound) in group {@code group}
     * (-1 = none); {@code regs} is {address, size} pairs (one cell each), {@code irqs} GIC flags per interrupt.
     */
    public Path device(String bus, String name, String driver, int group, boolean noIommu, String[] compatible, long[] regs,
            int... irqFlags) throws IOException {
        Path dev = Files.createDirectories(sys.resolve("devices/platform/" + name));
        Path busDir = Files.createDirectories(sys.resolve("bus/" + bus + "/devices"));
        Files.createSymbolicLink(busDir.resolve(name), dev);
        Files.createSymbolicLink(dev.resolve("subsystem"), sys.resolve("bus/" + bus));
        if (!driver.isEmpty()) {
            Path drv = Files.createDirectories(sys.resolve("bus/" + bus + "/drivers/" + driver));
            Files.createSymbolicLink(dev.resolve("driver"), drv);
        }
        if (group >= 0) {
            Path g = Files.createDirectories(sys.resolve("kernel/iommu_groups/" + group + "/devices"));
            Files.createSymbolicLink(g.resolve(name), dev);
            Files.createSymbolicLink(dev.resolve("iommu_group"), g.getParent());
            if (noIommu) {
                Files.writeString(g.getParent().resolve("name"), "vfio-noiommu\n");
            }
        }
        Path node = Files.createDirectories(sys.resolve("firmware/devicetree/base/soc/" + name.replace('.', '@')));
        Files.write(node.resolve("compatible"), String.join("\0", compatible).concat("\0").getBytes(StandardCharsets.UTF_8));
        int[] reg = new int[regs.length];
        for (int i = 0; i < regs.length; i++) {
            reg[i] = (int) regs[i];
        }
        cells(node.resolve("reg"), reg);
        int[] irq = new int[irqFlags.length * 3];
        for (int i = 0; i < irqFlags.length; i++) {
            irq[3 * i + 1] = 40 + i;
            irq[3 * i + 2] = irqFlags[i];
        }
        if (irqFlags.length > 0) {
            cells(node.resolve("interrupts"), irq);
        }
        Files.createSymbolicLink(dev.resolve("of_node"), node);
        return dev;
    }

    public static void cells(Path file, int... values) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length);
        for (int v : values) {
            b.putInt(v);
        }
        Files.write(file, b.array());
    }
}
