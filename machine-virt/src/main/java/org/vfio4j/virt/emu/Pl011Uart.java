package org.vfio4j.virt.emu;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;

/**
 * The ARM PL011 UART's programmer's model (ARM DDI 0183): data register, flags, the interrupt mask / raw /
 * masked / clear registers, the control registers the Linux {@code amba-pl011} driver programs, and the
 * PrimeCell identification registers, with transmit going to an output stream and receive fed by
 * {@link #receive(byte)}.
 *
 * <p>Why emulated here rather than in KVM: KVM emulates only the GIC and timer in the kernel; a console is
 * user space's. Transmit completes at once (the FIFO never fills), so TXRIS is raised after each write to
 * DR and stays until cleared through ICR (as QEMU's model does, which Linux's driver is known to work with).
 * Receive has a 16-byte FIFO; RXRIS follows "FIFO not empty". The line to the GIC is the OR of the masked
 * bits, driven through an {@link IrqLine} whenever it changes.
 */
public final class Pl011Uart implements MmioDevice {
    public static final int DR = 0x000, RSR = 0x004, FR = 0x018, ILPR = 0x020, IBRD = 0x024, FBRD = 0x028,
            LCR_H = 0x02c, CR = 0x030, IFLS = 0x034, IMSC = 0x038, RIS = 0x03c, MIS = 0x040, ICR = 0x044,
            DMACR = 0x048;
    public static final int FR_BUSY = 0x08, FR_RXFE = 0x10, FR_TXFF = 0x20, FR_RXFF = 0x40, FR_TXFE = 0x80;
    /** Interrupt bits in IMSC/RIS/MIS/ICR. */
    public static final int INT_RX = 0x10, INT_TX = 0x20, INT_RT = 0x40;
    private static final int FIFO_DEPTH = 16;
    /** PeriphID0..3 then PCellID0..3 at 0xfe0..0xffc: a PL011 r1p5 PrimeCell. */
    private static final int[] ID = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

    private final IrqLine irq;
    private final OutputStream out;
    private final ArrayDeque<Integer> rx = new ArrayDeque<>();
    private boolean retired;
    private int imsc, ris, cr = 0x300, lcrh, ibrd, fbrd, ifls = 0x12, ilpr, dmacr;
    private boolean line;

    /** A UART raising {@code irq} and writing transmitted bytes to {@code out}. */
    public Pl011Uart(IrqLine irq, OutputStream out) {
        this.irq = irq;
        this.out = out;
    }

    @Override
    public synchronized long read(long offset, int size) {
        int off = (int) offset;
        if (off >= 0xfe0 && off < 0x1000) {
            return ID[(off - 0xfe0) >> 2];
        }
        return switch (off) {
            case DR -> readData();
            case RSR -> 0;
            case FR -> (rx.isEmpty() ? FR_RXFE : 0) | (rx.size() >= FIFO_DEPTH ? FR_RXFF : 0) | FR_TXFE;
            case ILPR -> ilpr;
            case IBRD -> ibrd;
            case FBRD -> fbrd;
            case LCR_H -> lcrh;
            case CR -> cr;
            case IFLS -> ifls;
            case IMSC -> imsc;
            case RIS -> ris;
            case MIS -> ris & imsc;
            case DMACR -> dmacr;
            default -> 0;
        };
    }

    private int readData() {
        Integer c = rx.poll();
        notifyAll();
        if (rx.isEmpty()) {
            ris &= ~(INT_RX | INT_RT);
            update();
        }
        return c == null ? 0 : c;
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        int v = (int) value;
        switch ((int) offset) {
            case DR -> {
                try {
                    out.write(v & 0xff);
                    out.flush();
                } catch (IOException e) {
                    // the console's reader went away; the guest keeps running, as with a disconnected serial line
                }
                ris |= INT_TX;
            }
            case RSR -> { } // writing clears the (never set) error flags
            case ILPR -> ilpr = v & 0xff;
            case IBRD -> ibrd = v & 0xffff;
            case FBRD -> fbrd = v & 0x3f;
            case LCR_H -> lcrh = v & 0xff;
            case CR -> cr = v & 0xffff;
            case IFLS -> ifls = v & 0x3f;
            case IMSC -> imsc = v & 0x7ff;
            case ICR -> ris &= ~v;
            case DMACR -> dmacr = v & 0x7;
            default -> { } // read-only or reserved: ignored, as the hardware does
        }
        update();
    }

    /** A byte arrives on the line (from the host's stdin); dropped when the FIFO is full, like an overrun. */
    public synchronized void receive(byte b) {
        if (rx.size() < FIFO_DEPTH) {
            rx.add(b & 0xff);
        }
        ris |= INT_RX | INT_RT;
        update();
    }

    /** Waits until the receive FIFO has room (the stdin pump calls this before {@link #receive}). */
    public synchronized void awaitRoom() throws InterruptedException {
        while (rx.size() >= FIFO_DEPTH && !retired) {
            wait();
        }
    }

    /**
     * Marks this UART as gone with its boot (a reset builds a new one): a feeder waiting for room returns, so it
     * can move on to the new UART.
     */
    public synchronized void retire() {
        retired = true;
        notifyAll();
    }

    private void update() {
        boolean level = (ris & imsc) != 0;
        if (level != line) {
            line = level;
            irq.set(level);
        }
    }
}
