package org.vfio4j.virt.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class Pl011UartTest {
    private final List<Boolean> levels = new ArrayList<>();
    private final ByteArrayOutputStream tx = new ByteArrayOutputStream();
    private final Pl011Uart uart = new Pl011Uart(levels::add, tx);

    @Test
    void transmitGoesToTheStreamAndRaisesTxOnlyWhenUnmasked() {
        for (byte b : "hi\n".getBytes(StandardCharsets.US_ASCII)) {
            uart.write(Pl011Uart.DR, 4, b);
        }
        assertEquals("hi\n", tx.toString(StandardCharsets.US_ASCII));
        assertEquals(Pl011Uart.INT_TX, uart.read(Pl011Uart.RIS, 4) & Pl011Uart.INT_TX, "raw TX interrupt pending");
        assertEquals(0, uart.read(Pl011Uart.MIS, 4), "masked: nothing reaches the GIC");
        assertTrue(levels.isEmpty());
        uart.write(Pl011Uart.IMSC, 4, Pl011Uart.INT_TX);
        assertEquals(Pl011Uart.INT_TX, uart.read(Pl011Uart.MIS, 4));
        assertEquals(List.of(true), levels, "unmasking a pending interrupt raises the line");
        uart.write(Pl011Uart.ICR, 4, Pl011Uart.INT_TX);
        assertEquals(0, uart.read(Pl011Uart.RIS, 4) & Pl011Uart.INT_TX);
        assertEquals(List.of(true, false), levels, "ICR lowers it");
    }

    @Test
    void receiveFillsTheFifoAndDataReadsDrainIt() {
        uart.write(Pl011Uart.IMSC, 4, Pl011Uart.INT_RX | Pl011Uart.INT_RT);
        assertEquals(Pl011Uart.FR_RXFE, uart.read(Pl011Uart.FR, 4) & Pl011Uart.FR_RXFE, "empty at reset");
        uart.receive((byte) 'a');
        uart.receive((byte) 'b');
        assertEquals(0, uart.read(Pl011Uart.FR, 4) & Pl011Uart.FR_RXFE);
        assertEquals(List.of(true), levels);
        assertEquals('a', uart.read(Pl011Uart.DR, 4));
        assertEquals(List.of(true), levels, "still one byte waiting");
        assertEquals('b', uart.read(Pl011Uart.DR, 4));
        assertEquals(List.of(true, false), levels, "drained: RX interrupt gone");
        assertEquals(Pl011Uart.FR_RXFE, uart.read(Pl011Uart.FR, 4) & Pl011Uart.FR_RXFE);
    }

    @Test
    void fullFifoSetsRxffAndDropsTheOverrun() {
        for (int i = 0; i < 20; i++) {
            uart.receive((byte) i);
        }
        assertEquals(Pl011Uart.FR_RXFF, uart.read(Pl011Uart.FR, 4) & Pl011Uart.FR_RXFF);
        for (int i = 0; i < 16; i++) {
            assertEquals(i, uart.read(Pl011Uart.DR, 4));
        }
        assertEquals(Pl011Uart.FR_RXFE, uart.read(Pl011Uart.FR, 4) & Pl011Uart.FR_RXFE);
    }

    @Test
    void controlRegistersReadBackAndTheIdIsAPl011() {
        uart.write(Pl011Uart.IBRD, 4, 13);
        uart.write(Pl011Uart.FBRD, 4, 1);
        uart.write(Pl011Uart.LCR_H, 4, 0x70);
        uart.write(Pl011Uart.CR, 4, 0x301);
        assertEquals(13, uart.read(Pl011Uart.IBRD, 4));
        assertEquals(1, uart.read(Pl011Uart.FBRD, 4));
        assertEquals(0x70, uart.read(Pl011Uart.LCR_H, 4));
        assertEquals(0x301, uart.read(Pl011Uart.CR, 4));
        assertEquals(Pl011Uart.FR_TXFE, uart.read(Pl011Uart.FR, 4) & (Pl011Uart.FR_TXFE | Pl011Uart.FR_TXFF));
        long[] id = new long[8];
        for (int i = 0; i < 8; i++) {
            id[i] = uart.read(0xfe0 + 4L * i, 4);
        }
        assertEquals(0x00141011L, id[0] | id[1] << 8 | id[2] << 16 | id[3] << 24, "PeriphID: part 0x011, designer 0x41 (ARM), revision 1");
        assertEquals(0xb105f00dL, id[4] | id[5] << 8 | id[6] << 16 | id[7] << 24, "PrimeCell id");
    }
}
