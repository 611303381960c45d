package org.vfio4j.virt.board;

import java.util.List;

import org.vfio4j.common.dt.DtCell;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.virt.MachineConfig;

import jakarta.inject.Inject;

/**
 * The interrupt controller model: a GICv3 distributor, one redistributor frame per CPU and an ITS
 * for PCIe MSIs, at the memory map's addresses: what the device tree says and what KVM's in-kernel
 * vGIC is told.
 *
 * <p>Why it also builds interrupt specifiers: every node with {@code interrupts} must use this GIC's
 * three-cell format ({@code <type number flags>}), so the format lives with the controller.
 */
public final class Gicv3 {
    /** Label of the GIC node; the root's {@code interrupt-parent} references it. */
    public static final String LABEL = "gic";
    /** Label of the ITS node; the PCIe host's {@code msi-map} references it. */
    public static final String ITS_LABEL = "its";
    /** Interrupt-specifier type cell for SPIs. */
    public static final int SPI = 0;
    /** Interrupt-specifier type cell for PPIs. */
    public static final int PPI = 1;
    /** Redistributor frames (RD + SGI) per CPU. */
    public static final long REDIST_STRIDE = 0x2_0000L;
    /**
     * Interrupt IDs the distributor implements (SGIs + PPIs + SPIs): a constant of the board, so KVM's vGIC can
     * be created before the machine is assembled (the runner's preboot).
     */
    public static final int INTERRUPT_IDS = 32 + MemoryMap.GIC_SPI_COUNT;

    private final int cpus;

    @Inject
    Gicv3(MachineConfig config) {
        this.cpus = config.cpus();
    }

    /** CPUs the single redistributor region holds. */
    public static int maxCpus() {
        return (int) (MemoryMap.GIC_REDIST.size() / REDIST_STRIDE);
    }

    /** Interrupt IDs the distributor implements (SGIs + PPIs + SPIs). */
    public int interruptIds() {
        return INTERRUPT_IDS;
    }

    /** CPUs served. */
    public int cpus() {
        return cpus;
    }

    /** The three cells of an SPI specifier ({@code spi} as the device tree numbers it, INTID − 32). */
    public static List<DtCell> spi(int spi, Trigger trigger) {
        return List.of(DtCell.num(SPI), DtCell.num(spi), DtCell.num(trigger.dtFlags()));
    }

    /** {@code intc@8000000} with its {@code its@8080000} child. */
    public DtNode node() {
        DtNode its = DtNode.builder("its").unitAddress(MemoryMap.GIC_ITS.base()).label(ITS_LABEL)
                .property(DtProperty.addressCells("reg", new int[] {2, 2}, MemoryMap.GIC_ITS.base(), MemoryMap.GIC_ITS.size()))
                .property(DtProperty.u32("#msi-cells", 1))
                .property(DtProperty.empty("msi-controller"))
                .property(DtProperty.strings("compatible", "arm,gic-v3-its"))
                .build();
        return DtNode.builder("intc").unitAddress(MemoryMap.GIC_DIST.base()).label(LABEL)
                .property(DtProperty.addressCells("reg", new int[] {2, 2},
                        MemoryMap.GIC_DIST.base(), MemoryMap.GIC_DIST.size(),
                        MemoryMap.GIC_REDIST.base(), MemoryMap.GIC_REDIST.size()))
                .property(DtProperty.u32("#redistributor-regions", 1))
                .property(DtProperty.strings("compatible", "arm,gic-v3"))
                .property(DtProperty.empty("ranges"))
                .property(DtProperty.u32("#size-cells", 2))
                .property(DtProperty.u32("#address-cells", 2))
                .property(DtProperty.empty("interrupt-controller"))
                .property(DtProperty.u32("#interrupt-cells", 3))
                .child(its)
                .build();
    }
}
