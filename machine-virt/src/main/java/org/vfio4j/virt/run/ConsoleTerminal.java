package org.vfio4j.virt.run;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sys.Native;

/**
 * The VMM's terminal in raw mode while a guest has the console, as QEMU's {@code -nographic} puts it: no local
 * echo, no line editing, no signals from the keyboard (Ctrl-C goes to the guest; Ctrl-A x ends the VMM), output
 * still post-processed so the VMM's own lines stay readable. Restored when the run ends.
 *
 * <p>Why through TCGETS/TCSETS on the kernel's {@code struct termios}: the same two ioctls on arm64 and x86_64
 * (asm-generic numbers and flags), through the one {@code syscall(2)} downcall, without linking libc's termios.
 * When stdin is not a terminal (a pipe, a file, a test) nothing is changed.
 */
final class ConsoleTerminal implements AutoCloseable {
    static final long TCGETS = 0x5401, TCSETS = 0x5402;
    /** {@code sizeof(struct termios)} of the kernel: four flag words, c_line, c_cc[19]. */
    static final int SIZE = 36;
    static final int IFLAG = 0, OFLAG = 4, CFLAG = 8, LFLAG = 12, CC = 17;
    static final int VTIME = 5, VMIN = 6;
    static final int IGNBRK = 01, BRKINT = 02, PARMRK = 010, ISTRIP = 040, INLCR = 0100, IGNCR = 0200, ICRNL = 0400,
            IXON = 02000;
    static final int OPOST = 01;
    static final int CSIZE = 060, CS8 = 060, PARENB = 0400;
    static final int ISIG = 01, ICANON = 02, ECHO = 010, ECHONL = 0100, IEXTEN = 0100000;

    /** No terminal: nothing to restore. */
    static final ConsoleTerminal NONE = new ConsoleTerminal(-1, null);

    private final int fd;
    private final byte @Nullable [] saved;

    private ConsoleTerminal(int fd, byte @Nullable [] saved) {
        this.fd = fd;
        this.saved = saved;
    }

    /** Puts terminal {@code fd} (0: stdin) in raw mode if it is one; {@link #close()} restores it. */
    static ConsoleTerminal raw(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = a.allocate(SIZE, 4);
            if (Native.ioctl(fd, TCGETS, t) < 0) {
                return new ConsoleTerminal(fd, null); // not a terminal
            }
            byte[] saved = t.toArray(ValueLayout.JAVA_BYTE);
            makeRaw(t);
            Native.ioctl(fd, TCSETS, t);
            return new ConsoleTerminal(fd, saved);
        }
    }

    /** QEMU's changes to a {@code struct termios} for a raw console. */
    static void makeRaw(MemorySegment t) {
        t.set(ValueLayout.JAVA_INT, IFLAG, t.get(ValueLayout.JAVA_INT, IFLAG)
                & ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON));
        t.set(ValueLayout.JAVA_INT, OFLAG, t.get(ValueLayout.JAVA_INT, OFLAG) | OPOST);
        t.set(ValueLayout.JAVA_INT, LFLAG, t.get(ValueLayout.JAVA_INT, LFLAG) & ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN));
        t.set(ValueLayout.JAVA_INT, CFLAG, (t.get(ValueLayout.JAVA_INT, CFLAG) & ~(CSIZE | PARENB)) | CS8);
        t.set(ValueLayout.JAVA_BYTE, CC + VMIN, (byte) 1);
        t.set(ValueLayout.JAVA_BYTE, CC + VTIME, (byte) 0);
    }

    /** Whether the console is a terminal now in raw mode (the escape keys apply). */
    boolean isRaw() {
        return saved != null;
    }

    /** Restores the terminal as it was; idempotent, nothing for a non-terminal. */
    @Override
    public synchronized void close() {
        byte[] s = saved;
        if (s == null) {
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            Native.ioctl(fd, TCSETS, a.allocateFrom(ValueLayout.JAVA_BYTE, s));
        }
    }
}
