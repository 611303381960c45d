package org.vfio4j.virt.board;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.dt.DtCell;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;

import jakarta.inject.Inject;

/**
 * The generic ECAM PCIe host bridge ({@code pci-host-ecam-generic}): config space through ECAM at
 * {@link MemoryMap#PCIE_ECAM} for buses 0–255, a 64 KiB I/O window, a 32-bit and a 64-bit MMIO
 * window, MSIs through the ITS ({@code msi-map}, requester ID = device ID), and legacy INTx on four
 * SPIs, swizzled across slots as the PCI-to-PCI bridge spec does ({@code (slot + pin) mod 4}) and
 * described by {@code interrupt-map}.
 *
 * <p>Why it owns the INTx routing and the window translation: {@code vfio-pci} asks "which SPI does this
 * slot's pin raise?" and "where do the CPUs see this BAR?", and the answers must be the ones the device tree
 * told the guest ({@code interrupt-map}, {@code ranges}). The requester ID a function's MSIs carry is its
 * bus/device/function unchanged ({@code msi-map = <0 &its 0 0x10000>}).
 */
public final class PcieHost {
    /** PCI address space codes of the {@code ranges} child address (phys.hi). */
    private static final int SPACE_IO = 0x0100_0000, SPACE_MEM32 = 0x0200_0000, SPACE_MEM64 = 0x0300_0000;
    /** Slots whose INTx are listed in {@code interrupt-map} (the mask repeats them every 4 slots). */
    private static final int MAP_SLOTS = 4;

    /** Stateless facts of the board; public so tests and tools can ask them without an injector. */
    @Inject
    public PcieHost() {
    }

    /** Buses the ECAM window covers. */
    public int busCount() {
        return (int) (MemoryMap.PCIE_ECAM.size() >> 20);
    }

    /**
     * The device-tree SPI number that slot {@code slot}'s INTx pin {@code pin} (1 = INTA … 4 = INTD)
     * raises.
     */
    public int intxSpi(int slot, int pin) {
        if (pin < 1 || pin > 4 || slot < 0 || slot > 31) {
            throw new IllegalArgumentException("no INTx pin " + pin + " on slot " + slot);
        }
        return MemoryMap.PCIE_SPI_BASE + (slot + pin - 1) % 4;
    }

    /**
     * Where a memory BAR at PCI address {@code pciAddress} of {@code size} bytes appears to the CPUs: the same
     * address (the MMIO windows are identity mapped in {@code ranges}) when it lies inside the 32-bit or the
     * 64-bit window, else null — the host bridge forwards nothing outside its windows to the bus.
     */
    public @Nullable MmioRange memoryWindow(long pciAddress, long size) {
        if (size <= 0 || pciAddress < 0 || pciAddress + size < pciAddress) {
            return null;
        }
        MmioRange r = new MmioRange(pciAddress, size);
        return MemoryMap.PCIE_MMIO.contains(r) || MemoryMap.PCIE_MMIO_HIGH.contains(r) ? r : null;
    }

    /**
     * Where an I/O BAR at port {@code port} of {@code size} bytes appears to the CPUs: inside the PIO window
     * (CPU address = window base + port, as {@code ranges} says), or null when it does not fit the 64 KiB.
     */
    public @Nullable MmioRange ioWindow(long port, long size) {
        MmioRange io = MemoryMap.PCIE_PIO;
        if (size <= 0 || port < 0 || port + size > io.size()) {
            return null;
        }
        return new MmioRange(io.base() + port, size);
    }

    /** {@code /pcie@10000000}. */
    public DtNode node() {
        List<DtCell> map = new ArrayList<>();
        for (int slot = 0; slot < MAP_SLOTS; slot++) {
            for (int pin = 1; pin <= 4; pin++) {
                map.add(DtCell.num(slot << 11));
                map.add(DtCell.num(0));
                map.add(DtCell.num(0));
                map.add(DtCell.num(pin));
                map.add(DtCell.ref(Gicv3.LABEL));
                map.add(DtCell.num(0)); // parent unit address: the GIC has #address-cells = 2
                map.add(DtCell.num(0));
                map.addAll(Gicv3.spi(intxSpi(slot, pin), Trigger.LEVEL_HIGH));
            }
        }
        MmioRange io = MemoryMap.PCIE_PIO, mem = MemoryMap.PCIE_MMIO, high = MemoryMap.PCIE_MMIO_HIGH;
        return DtNode.builder("pcie").unitAddress(mem.base())
                .property(DtProperty.u32("interrupt-map-mask", 0x1800, 0, 0, 7))
                .property(DtProperty.cells("interrupt-map", map))
                .property(DtProperty.u32("#interrupt-cells", 1))
                .property(DtProperty.addressCells("ranges", new int[] {1, 2, 2, 2},
                        SPACE_IO, 0, io.base(), io.size(),
                        SPACE_MEM32, mem.base(), mem.base(), mem.size(),
                        SPACE_MEM64, high.base(), high.base(), high.size()))
                .property(DtProperty.addressCells("reg", new int[] {2, 2}, MemoryMap.PCIE_ECAM.base(), MemoryMap.PCIE_ECAM.size()))
                .property(DtProperty.cells("msi-map", List.of(DtCell.num(0), DtCell.ref(Gicv3.ITS_LABEL),
                        DtCell.num(0), DtCell.num(0x10000))))
                .property(DtProperty.empty("dma-coherent"))
                .property(DtProperty.u32("bus-range", 0, busCount() - 1))
                .property(DtProperty.u32("linux,pci-domain", 0))
                .property(DtProperty.u32("#size-cells", 2))
                .property(DtProperty.u32("#address-cells", 3))
                .property(DtProperty.strings("device_type", "pci"))
                .property(DtProperty.strings("compatible", "pci-host-ecam-generic"))
                .build();
    }
}
