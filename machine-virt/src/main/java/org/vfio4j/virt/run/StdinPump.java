package org.vfio4j.virt.run;

import java.io.IOException;
import java.io.InputStream;

import org.vfio4j.virt.emu.Pl011Uart;

/**
 * Feeds the host's stdin to the guest's UART, byte by byte, on a daemon thread.
 *
 * <p>Why a daemon thread: a blocking read of stdin cannot be interrupted portably; as a daemon it never keeps
 * the VMM alive, and it ends by itself at end of input. When the UART's FIFO is full it waits for the guest
 * to read (no busy loop, no dropped keystrokes).
 */
final class StdinPump implements Runnable {
    private final InputStream in;
    private final Pl011Uart uart;

    private StdinPump(InputStream in, Pl011Uart uart) {
        this.in = in;
        this.uart = uart;
    }

    static void start(InputStream in, Pl011Uart uart) {
        Thread t = new Thread(new StdinPump(in, uart), "stdin-to-pl011");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void run() {
        try {
            int b;
            while ((b = in.read()) >= 0) {
                uart.awaitRoom();
                uart.receive((byte) b);
            }
        } catch (IOException e) {
            // stdin closed or unreadable: the guest simply gets no more input
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the VM was torn down while a byte arrived (IllegalStateException from the closed VM): nothing to feed
        }
    }
}
