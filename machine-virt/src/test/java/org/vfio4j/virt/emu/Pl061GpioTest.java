package org.vfio4j.virt.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The PL061 as Linux's gpio-pl061 and gpio-keys drive it: registers, edges, levels, the interrupt line. */
class Pl061GpioTest {
    private final List<Boolean> levels = new ArrayList<>();
    private final Pl061Gpio gpio = new Pl061Gpio(levels::add);

    @Test
    void itIdentifiesAsAPrimeCellPl061() {
        List<Long> id = new ArrayList<>();
        for (int off = 0xfe0; off < 0x1000; off += 4) {
            id.add(gpio.read(off, 4));
        }
        assertEquals(List.of(0x61L, 0x10L, 0x04L, 0x00L, 0x0dL, 0xf0L, 0x05L, 0xb1L), id);
    }

    @Test
    void dataAccessesSeeOnlyThePinsTheirAddressSelectsAndWritesDriveOnlyOutputs() {
        gpio.write(Pl061Gpio.DIR, 4, 0x0f);          // pins 0-3 out, 4-7 in
        gpio.write(0x3fc, 4, 0xff);                   // every pin selected: only outputs change
        assertEquals(0x0f, gpio.read(0x3fc, 4));
        gpio.setInput(5, true);
        assertEquals(0x2f, gpio.read(0x3fc, 4));
        assertEquals(0x20, gpio.read(0x20 << 2, 4), "the address selects pin 5 only");
        gpio.write(0x01 << 2, 4, 0x00);               // clear pin 0 only
        assertEquals(0x2e, gpio.read(0x3fc, 4));
    }

    /** What gpio-keys asks for a key: both edges; each press and release latches, IC clears. */
    @Test
    void bothEdgesLatchAndRaiseTheLineUntilCleared() {
        gpio.write(Pl061Gpio.IBE, 4, 0x08);
        gpio.write(Pl061Gpio.IE, 4, 0x08);
        gpio.setInput(3, true);
        assertEquals(0x08, gpio.read(Pl061Gpio.MIS, 4));
        assertEquals(List.of(true), levels);
        gpio.write(Pl061Gpio.IC, 4, 0x08);
        assertEquals(0, gpio.read(Pl061Gpio.RIS, 4));
        gpio.setInput(3, false);
        assertEquals(0x08, gpio.read(Pl061Gpio.RIS, 4), "the release is an edge too");
        gpio.write(Pl061Gpio.IC, 4, 0x08);
        assertEquals(List.of(true, false, true, false), levels);
        assertEquals(0, gpio.read(0x08 << 2, 4), "released: the pin reads low");
    }

    @Test
    void aRisingEdgeOnlyPinIgnoresTheFallingOneAndAMaskedPinKeepsTheLineLow() {
        gpio.write(Pl061Gpio.IEV, 4, 0x01);
        gpio.setInput(0, true);
        gpio.write(Pl061Gpio.IC, 4, 0x01);
        gpio.setInput(0, false);
        assertEquals(0, gpio.read(Pl061Gpio.RIS, 4));
        gpio.setInput(0, true);
        assertEquals(0x01, gpio.read(Pl061Gpio.RIS, 4));
        assertEquals(0, gpio.read(Pl061Gpio.MIS, 4), "not enabled in IE");
        assertEquals(List.of(), levels);
    }

    @Test
    void aLevelSensitivePinFollowsItsLevelAndIcDoesNotClearIt() {
        gpio.write(Pl061Gpio.IS, 4, 0x02);
        gpio.write(Pl061Gpio.IEV, 4, 0x02);          // high level
        gpio.write(Pl061Gpio.IE, 4, 0x02);
        gpio.setInput(1, true);
        gpio.write(Pl061Gpio.IC, 4, 0x02);
        assertEquals(0x02, gpio.read(Pl061Gpio.MIS, 4));
        gpio.setInput(1, false);
        assertEquals(0, gpio.read(Pl061Gpio.MIS, 4));
        assertEquals(List.of(true, false), levels);
    }

    @Test
    void readOnlyAndReservedWritesAreDroppedAndAPinOutOfRangeRefused() {
        gpio.write(Pl061Gpio.RIS, 4, 0xff);
        gpio.write(0x800, 4, 0xff);
        assertEquals(0, gpio.read(Pl061Gpio.RIS, 4));
        assertEquals(0, gpio.read(0x800, 4));
        assertThrows(IllegalArgumentException.class, () -> gpio.setInput(8, true));
    }
}
