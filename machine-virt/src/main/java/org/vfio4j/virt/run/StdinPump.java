package org.vfio4j.virt.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

import org.eclipse.jdt.annotation.Nullable;

import org.vfio4j.virt.emu.Pl011Uart;

/**
 * Feeds the host's stdin to the guest's UART, byte by byte, on a daemon thread.
 *
 * <p>Why a daemon thread: a blocking read of stdin cannot be interrupted portably; as a daemon it never keeps
 * the VMM alive, and it ends by itself at end of input. When the UART's FIFO is full it waits for the guest
 * to read (no busy loop, no dropped keystrokes).
 *
 * <p>Why one pump for the whole run: stdin is read by one thread only, and a reset gives the guest a new UART;
 * {@link #feed} moves the pump to it (the old one is retired, so a pump waiting on its full FIFO moves on).
 */
final class StdinPump implements Runnable {
    private final InputStream in;
    private final @Nullable ConsoleEscape escape;
    private final Runnable quit;
    private final PrintStream messages;
    private volatile Pl011Uart uart;

    private StdinPump(InputStream in, Pl011Uart uart, @Nullable ConsoleEscape escape, Runnable quit, PrintStream messages) {
        this.in = in;
        this.uart = uart;
        this.escape = escape;
        this.quit = quit;
        this.messages = messages;
    }

    /** A pump that gives every byte to the guest (stdin is no terminal: a pipe or a file). */
    static StdinPump start(InputStream in, Pl011Uart uart) {
        return start(in, uart, null, () -> { }, System.err);
    }

    /**
     * A pump that reads QEMU's Ctrl-A escapes from the console when {@code escape} is given: Ctrl-A x runs
     * {@code quit}, help and refusals go to {@code messages}.
     */
    static StdinPump start(InputStream in, Pl011Uart uart, @Nullable ConsoleEscape escape, Runnable quit,
            PrintStream messages) {
        StdinPump pump = of(in, uart, escape, quit, messages);
        Thread t = new Thread(pump, "stdin-to-pl011");
        t.setDaemon(true);
        t.start();
        return pump;
    }

    /** A pump not yet started: its {@link #run} is the caller's to call. */
    static StdinPump of(InputStream in, Pl011Uart uart, @Nullable ConsoleEscape escape, Runnable quit,
            PrintStream messages) {
        return new StdinPump(in, uart, escape, quit, messages);
    }

    /** Feeds {@code next} from now on, the UART of a new boot. */
    void feed(Pl011Uart next) {
        Pl011Uart old = uart;
        uart = next;
        old.retire();
    }

    @Override
    public void run() {
        try {
            int b;
            while ((b = in.read()) >= 0) {
                ConsoleEscape e = escape;
                if (e != null) {
                    switch (e.next(b)) {
                        case SEND -> { }
                        case SWALLOW -> {
                            continue;
                        }
                        case QUIT -> {
                            quit.run();
                            return;
                        }
                        case HELP -> {
                            messages.print(ConsoleEscape.HELP);
                            continue;
                        }
                        case MONITOR -> {
                            messages.println("virt: no monitor on the console; QMP listens on the -qmp sockets");
                            continue;
                        }
                    }
                }
                Pl011Uart u = uart;
                u.awaitRoom();
                while (u != uart) {   // a reset came while we waited: the byte is for the new boot
                    u = uart;
                    u.awaitRoom();
                }
                u.receive((byte) b);
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
