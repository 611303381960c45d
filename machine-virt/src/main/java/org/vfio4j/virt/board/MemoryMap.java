package org.vfio4j.virt.board;

import static org.vfio4j.virt.board.Sizes.GiB;
import static org.vfio4j.virt.board.Sizes.KiB;
import static org.vfio4j.virt.board.Sizes.MiB;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The guest-physical memory map and the SPI assignments of the board, the same as QEMU's machvirt
 * (hw/arm/virt.c {@code base_memmap}, {@code extended_memmap}, {@code a15irqmap}) so that guests and
 * tools that know QEMU's virt find things where they expect them.
 *
 * <p>Why fixed numbers and one place: the device tree, KVM's vGIC set-up and the PCIe host
 * must agree on every address; they all read them from here. The high region (second PCIe window and
 * ECAM) sits at 256 GiB because RAM is limited to 255 GiB below it, as in QEMU's layout.
 *
 * @param ram RAM, always at 0x4000_0000
 */
public record MemoryMap(MmioRange ram) {
    /** Where RAM starts. */
    public static final long RAM_BASE = 0x4000_0000L;
    /** RAM must end below the high region at 256 GiB. */
    public static final long MAX_RAM = 255 * GiB;

    /** GICv3 distributor. */
    public static final MmioRange GIC_DIST = new MmioRange(0x0800_0000L, 64 * KiB);
    /** GICv3 ITS (two 64 KiB frames). */
    public static final MmioRange GIC_ITS = new MmioRange(0x0808_0000L, 128 * KiB);
    /** GICv3 redistributors: 128 KiB per CPU, room for 123 CPUs. */
    public static final MmioRange GIC_REDIST = new MmioRange(0x080A_0000L, 0x00F6_0000L);
    /** PL011 UART. */
    public static final MmioRange UART = new MmioRange(0x0900_0000L, 4 * KiB);
    /** PL061 GPIO, whose input 3 is the power button (QEMU's virt has it here too). */
    public static final MmioRange GPIO = new MmioRange(0x0903_0000L, 4 * KiB);
    /** The platform bus window for dynamically created sysbus devices. */
    public static final MmioRange PLATFORM_BUS = new MmioRange(0x0C00_0000L, 32 * MiB);
    /** PCIe 32-bit MMIO window. */
    public static final MmioRange PCIE_MMIO = new MmioRange(0x1000_0000L, 0x2EFF_0000L);
    /** PCIe I/O port window. */
    public static final MmioRange PCIE_PIO = new MmioRange(0x3EFF_0000L, 64 * KiB);
    /** PCIe ECAM in the high region: 256 buses × 1 MiB. */
    public static final MmioRange PCIE_ECAM = new MmioRange(0x40_1000_0000L, 256 * MiB);
    /** PCIe 64-bit MMIO window in the high region. */
    public static final MmioRange PCIE_MMIO_HIGH = new MmioRange(0x80_0000_0000L, 512 * GiB);

    /** SPI of the PL011 (device-tree SPI number; INTID = 32 + this). */
    public static final int UART_SPI = 1;
    /** SPI of the PL061 GPIO, as in QEMU's virt. */
    public static final int GPIO_SPI = 7;
    /** First of the four PCIe INTx SPIs (INTA..INTD before swizzling). */
    public static final int PCIE_SPI_BASE = 3;
    /** First SPI of the platform bus range. */
    public static final int PLATFORM_BUS_SPI_BASE = 112;
    /** SPIs in the platform bus range. */
    public static final int PLATFORM_BUS_SPI_COUNT = 64;
    /** SPIs the GIC implements (QEMU's virt uses 256 too). */
    public static final int GIC_SPI_COUNT = 256;

    public MemoryMap {
        if (ram.base() != RAM_BASE) {
            throw new IllegalArgumentException("RAM must start at 0x40000000");
        }
        if (ram.size() > MAX_RAM) {
            throw new IllegalArgumentException("at most " + Sizes.human(MAX_RAM) + " of RAM fits below the high region");
        }
    }

    /** The map for {@code ramSize} bytes of RAM. */
    public static MemoryMap forRam(long ramSize) {
        return new MemoryMap(new MmioRange(RAM_BASE, ramSize));
    }

    /** Every region by name, in address order, for reports and overlap checks. */
    public Map<String, MmioRange> regions() {
        Map<String, MmioRange> m = new LinkedHashMap<>();
        m.put("gic-dist", GIC_DIST);
        m.put("gic-its", GIC_ITS);
        m.put("gic-redist", GIC_REDIST);
        m.put("uart", UART);
        m.put("gpio", GPIO);
        m.put("platform-bus", PLATFORM_BUS);
        m.put("pcie-mmio", PCIE_MMIO);
        m.put("pcie-pio", PCIE_PIO);
        m.put("ram", ram);
        m.put("pcie-ecam", PCIE_ECAM);
        m.put("pcie-mmio-high", PCIE_MMIO_HIGH);
        return m;
    }

    /** The memory map as text, one region a line. */
    public List<String> describe() {
        return regions().entrySet().stream().map(e -> String.format("  %-15s %s", e.getKey(), e.getValue())).toList();
    }
}
