package org.vfio4j.virt.emu;

/**
 * An ARM PL061 GPIO controller, eight pins, with the register set its TRM gives and Linux's {@code gpio-pl061}
 * driver uses: masked data, direction, interrupt sense (edge or level), both-edges, event (rising/high), mask,
 * raw and masked status, edge clear, and the PrimeCell IDs. One combined interrupt line, high while any unmasked
 * status bit is set.
 *
 * <p>Why it exists: QEMU's virt board wires its power button as input 3 of a PL061 at 0x9030000 with a
 * {@code gpio-keys} node, so an unmodified guest (systemd-logind, acpid, a busybox script) powers off when the
 * button is pressed. {@link #setInput} is how the machine presses it.
 */
public final class Pl061Gpio implements MmioDevice {
    public static final int DATA_END = 0x400, DIR = 0x400, IS = 0x404, IBE = 0x408, IEV = 0x40c, IE = 0x410,
            RIS = 0x414, MIS = 0x418, IC = 0x41c, AFSEL = 0x420;
    /** PeriphID0-3 (part 0x061, designer ARM, revision 0) and PCellID0-3. */
    private static final int[] ID = {0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

    private final IrqLine irq;
    private int out;
    private int in;
    private int dir;
    private int is;
    private int ibe;
    private int iev;
    private int ie;
    private int edges;
    private int afsel;
    private boolean level;

    public Pl061Gpio(IrqLine irq) {
        this.irq = irq;
    }

    @Override
    public synchronized long read(long offset, int size) {
        int off = (int) offset;
        if (off >= 0xfe0 && off < 0x1000) {
            return ID[(off - 0xfe0) >> 2];
        }
        if (off >= 0 && off < DATA_END) {
            return pins() & ((off >> 2) & 0xff);   // address bits 9:2 select which pins a data access sees
        }
        return switch (off) {
            case DIR -> dir;
            case IS -> is;
            case IBE -> ibe;
            case IEV -> iev;
            case IE -> ie;
            case RIS -> raw();
            case MIS -> raw() & ie;
            case AFSEL -> afsel;
            default -> 0;   // IC is write-only; the rest of the window is reserved
        };
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        int off = (int) offset;
        int v = (int) value & 0xff;
        if (off >= 0 && off < DATA_END) {
            int mask = (off >> 2) & 0xff & dir;
            out = (out & ~mask) | (v & mask);
            return;
        }
        switch (off) {
            case DIR -> dir = v;
            case IS -> is = v;
            case IBE -> ibe = v;
            case IEV -> iev = v;
            case IE -> ie = v;
            case IC -> edges &= ~v;
            case AFSEL -> afsel = v;
            default -> {
                return;   // read-only (RIS, MIS, IDs) or reserved: dropped
            }
        }
        update();
    }

    /** Drives input {@code pin} (0-7) to {@code high}; an edge the pin is set to detect raises its status bit. */
    public synchronized void setInput(int pin, boolean high) {
        if (pin < 0 || pin > 7) {
            throw new IllegalArgumentException("a PL061 has pins 0-7, not " + pin);
        }
        int bit = 1 << pin;
        int was = in & bit;
        in = high ? in | bit : in & ~bit;
        if (was != (in & bit) && (is & bit) == 0) {
            boolean rising = high;
            if ((ibe & bit) != 0 || ((iev & bit) != 0) == rising) {
                edges |= bit;
            }
        }
        update();
    }

    /** What the pins read: outputs as driven, inputs as the outside drives them. */
    private int pins() {
        return (out & dir) | (in & ~dir & 0xff);
    }

    /** Raw status: latched edges, and level-sensitive pins at their active level. */
    private int raw() {
        int active = (in & iev) | (~in & ~iev & 0xff);
        return (edges & ~is) | (active & is & 0xff);
    }

    private void update() {
        boolean now = (raw() & ie) != 0;
        if (now != level) {
            level = now;
            irq.set(now);
        }
    }
}
