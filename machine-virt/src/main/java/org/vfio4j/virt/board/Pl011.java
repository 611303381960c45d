package org.vfio4j.virt.board;

import java.util.List;

import org.vfio4j.common.dt.DtCell;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;

import jakarta.inject.Inject;

/**
 * The console: an ARM PL011 UART at {@link MemoryMap#UART} on SPI {@link MemoryMap#UART_SPI}, clocked
 * by the board's fixed 24 MHz APB clock ({@code /apb-pclk}, which AMBA primecell drivers require).
 * This is what the guest is told; the MMIO emulation wired to stdio is {@code emu.Pl011Uart}.
 */
public final class Pl011 {
    @Inject
    Pl011() {
    }

    /** Label of the fixed clock node, usable by other AMBA devices' {@code clocks}. */
    public static final String CLOCK_LABEL = "apb_pclk";
    /** The UART's node path, for {@code /chosen/stdout-path}. */
    public static final String PATH = "/pl011@" + Long.toHexString(MemoryMap.UART.base());

    /** {@code /apb-pclk}. */
    public DtNode clockNode() {
        return DtNode.builder("apb-pclk").label(CLOCK_LABEL)
                .property(DtProperty.strings("clock-output-names", "clk24mhz"))
                .property(DtProperty.u32("clock-frequency", 24_000_000))
                .property(DtProperty.u32("#clock-cells", 0))
                .property(DtProperty.strings("compatible", "fixed-clock"))
                .build();
    }

    /** {@code /pl011@9000000}. */
    public DtNode node() {
        return DtNode.builder("pl011").unitAddress(MemoryMap.UART.base())
                .property(DtProperty.strings("clock-names", "uartclk", "apb_pclk"))
                .property(DtProperty.cells("clocks", List.of(DtCell.ref(CLOCK_LABEL), DtCell.ref(CLOCK_LABEL))))
                .property(DtProperty.cells("interrupts", Gicv3.spi(MemoryMap.UART_SPI, Trigger.LEVEL_HIGH)))
                .property(DtProperty.addressCells("reg", new int[] {2, 2}, MemoryMap.UART.base(), MemoryMap.UART.size()))
                .property(DtProperty.strings("compatible", "arm,pl011", "arm,primecell"))
                .build();
    }
}
