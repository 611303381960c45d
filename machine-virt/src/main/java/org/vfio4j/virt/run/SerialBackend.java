package org.vfio4j.virt.run;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;
import org.vfio4j.virt.ControlOptions.Serial;
import org.vfio4j.virt.UsageException;

/**
 * Where the UART's bytes go and where the guest's input comes from, as {@code -serial} chose: the console, a file,
 * a pseudo-terminal or a listening UNIX socket.
 *
 * <p>Why output never waits for a reader that is not there: the UART's bytes are written on a vCPU thread, in the
 * middle of a guest's store; a pty nobody has open, a socket client that stopped reading, must cost the guest its
 * output, not its CPU. Bytes that do not fit are dropped, as QEMU drops them for a disconnected pty or socket.
 * Opened once per run (before the sandbox: {@code /dev/ptmx}, the socket), kept across reboots.
 */
public abstract class SerialBackend implements AutoCloseable {
    /** The UART's output (the run's own output stream for the console, which the runner uses instead). */
    abstract OutputStream output();

    /** The guest's input, or null when this backend has none (the console's is the VMM's stdin). */
    abstract @Nullable InputStream input();

    /** Whether this is the VMM's own terminal: raw mode and QEMU's Ctrl-A escapes apply. */
    boolean isConsole() {
        return false;
    }

    /** The console: the run's output stream and the VMM's stdin. */
    public static SerialBackend console() {
        return new Streams(OutputStream.nullOutputStream(), null, true);
    }

    /** Returns once the guest may start: at once, or for {@code wait=on} once the first client is there. */
    void awaitClient() throws IOException {
    }

    /** Releases what the backend holds (the file, the pty, the socket); the console's streams stay open. */
    @Override
    public abstract void close();

    /**
     * The backend {@code serial} names, opened now (before the sandbox, which forbids opening a pty or a socket
     * later); what it reports (the pty's name) goes to {@code messages}.
     *
     * @throws UsageException when it cannot be opened; the message names the option and what to do
     */
    public static SerialBackend open(Serial serial, PrintStream messages) throws UsageException {
        return switch (serial.kind()) {
            case STDIO -> console();
            case NULL -> new Streams(OutputStream.nullOutputStream(), null, false);
            case FILE -> file(Objects.requireNonNull(serial.path()));
            case PTY -> Pty.open(messages);
            case UNIX -> SocketBackend.open(Objects.requireNonNull(serial.path()), serial.waitForClient(), messages);
        };
    }

    private static SerialBackend file(Path path) throws UsageException {
        try {
            return new Streams(new FileOutputStream(path.toFile()), null, false);
        } catch (IOException e) {
            throw new UsageException("-serial file:" + path + ": cannot write it (" + e.getMessage()
                    + "); give a file in a directory you may write");
        }
    }

    /** An output stream written in chunks: one byte is a chunk of one. */
    private abstract static class ChunkOutput extends OutputStream {
        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public abstract void write(byte @Nullable [] b, int off, int len);
    }

    /** An input stream read in chunks: one byte is a chunk of one. */
    private abstract static class ChunkInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** Plain streams: the console, a file, nothing. */
    private static final class Streams extends SerialBackend {
        private final OutputStream out;
        private final @Nullable InputStream in;
        private final boolean console;

        Streams(OutputStream out, @Nullable InputStream in, boolean console) {
            this.out = out;
            this.in = in;
            this.console = console;
        }

        @Override
        OutputStream output() {
            return out;
        }

        @Override
        @Nullable InputStream input() {
            return in;
        }

        @Override
        boolean isConsole() {
            return console;
        }

        @Override
        public void close() {
            if (!console) {
                try {
                    out.close();
                } catch (IOException e) {
                    // the file is as complete as it will get
                }
            }
        }
    }

    /** {@code -serial pty}: the master of a new pseudo-terminal, raw, whose slave the VMM names. */
    static final class Pty extends SerialBackend {
        private static final long TIOCSPTLCK = 0x4004_5431L, TIOCGPTN = 0x8004_5430L;
        private static final int O_NOCTTY = 0x100;
        private static final short POLLOUT = 4;
        private final int fd;
        private final String slave;
        private volatile boolean closed;

        private Pty(int fd, String slave) {
            this.fd = fd;
            this.slave = slave;
        }

        /**
         * Opens a new pseudo-terminal and makes its slave raw, as QEMU does: the client that opens it later talks to
         * the guest without a line discipline (no echo, no line editing, bytes as they are). The slave is closed
         * again; the master then reports a hang-up until somebody opens it.
         */
        static Pty open(PrintStream messages) throws UsageException {
            int fd = Native.open("/dev/ptmx", Native.O_RDWR | Native.O_NONBLOCK | Native.O_CLOEXEC | O_NOCTTY);
            if (fd < 0) {
                throw new UsageException("-serial pty: cannot open /dev/ptmx: " + Errno.describe(-fd)
                        + " (is devpts mounted?)");
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
                int r = Native.ioctl(fd, TIOCSPTLCK, n);
                if (r == 0) {
                    r = Native.ioctl(fd, TIOCGPTN, n);
                }
                String path = "/dev/pts/" + n.get(ValueLayout.JAVA_INT, 0);
                int s = r < 0 ? r : Native.open(path, Native.O_RDWR | Native.O_CLOEXEC | O_NOCTTY);
                if (s < 0) {
                    Native.close(fd);
                    throw new UsageException("-serial pty: cannot set up a pseudo-terminal: " + Errno.describe(-s));
                }
                MemorySegment t = a.allocate(ConsoleTerminal.SIZE, 4);
                if (Native.ioctl(s, ConsoleTerminal.TCGETS, t) == 0) {
                    ConsoleTerminal.makeRaw(t);
                    t.set(ValueLayout.JAVA_INT, ConsoleTerminal.OFLAG,
                            t.get(ValueLayout.JAVA_INT, ConsoleTerminal.OFLAG) & ~ConsoleTerminal.OPOST);
                    Native.ioctl(s, ConsoleTerminal.TCSETS, t);
                }
                Native.close(s);
                Pty p = new Pty(fd, path);
                messages.println("char device redirected to " + path + " (label serial0)");
                return p;
            }
        }

        /** The slave's path, {@code /dev/pts/N}. */
        String slave() {
            return slave;
        }

        @Override
        OutputStream output() {
            return new ChunkOutput() {
                @Override
                public void write(byte @Nullable [] b, int off, int len) {
                    Objects.requireNonNull(b);
                    if ((Native.poll(fd, POLLOUT, 0) & Native.POLLHUP) != 0) {
                        return;   // nobody has the slave open: dropped, not kept for whoever opens it next
                    }
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment s = a.allocate(Math.max(1, len));
                        MemorySegment.copy(b, off, s, ValueLayout.JAVA_BYTE, 0, len);
                        Native.write(fd, s, len);   // EAGAIN: the reader is behind, the bytes are dropped
                    }
                }
            };
        }

        @Override
        @Nullable InputStream input() {
            return new ChunkInput() {
                @Override
                public int read(byte @Nullable [] b, int off, int len) throws IOException {
                    Objects.requireNonNull(b);
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment s = a.allocate(Math.max(1, len));
                        while (!closed) {
                            long n = Native.read(fd, s, len);
                            if (n > 0) {
                                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, b, off, (int) n);
                                return (int) n;
                            }
                            if (n == -Errno.EAGAIN) {
                                Native.poll(fd, Native.POLLIN, 1000);
                            } else if (n == -Errno.EIO || n == 0) {
                                // nobody has the slave open: look again in a while, as QEMU's pty does
                                Native.poll(-1, Native.POLLIN, 200);
                            } else {
                                throw new IOException("read from " + slave + ": " + Errno.describe((int) -n));
                            }
                        }
                        return -1;
                    }
                }
            };
        }

        @Override
        public void close() {
            closed = true;
            Native.close(fd);
        }
    }

    /** {@code -serial unix:PATH,server=on}: one client at a time has the console; the next is accepted when it goes. */
    static final class SocketBackend extends SerialBackend {
        private final Path path;
        private final UnixSocket listener;
        private final boolean waitForClient;
        private final PrintStream messages;
        private volatile @Nullable UnixSocket client;
        private volatile boolean closed;

        private SocketBackend(Path path, UnixSocket listener, boolean waitForClient, PrintStream messages) {
            this.path = path;
            this.listener = listener;
            this.waitForClient = waitForClient;
            this.messages = messages;
        }

        static SocketBackend open(Path path, boolean waitForClient, PrintStream messages) throws UsageException {
            Path abs = path.toAbsolutePath();
            if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                throw new UsageException("-serial unix:" + abs + ": the path exists; remove it or give another");
            }
            try {
                UnixSocket l = UnixSocket.listen(abs);
                Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rw-------"));
                return new SocketBackend(abs, l, waitForClient, messages);
            } catch (IOException e) {
                throw new UsageException("-serial unix:" + abs + ": cannot listen there: " + e.getMessage()
                        + " (give a path in a directory you may write, under " + UnixSocket.PATH_MAX + " bytes)");
            }
        }

        @Override
        void awaitClient() throws IOException {
            if (waitForClient) {
                messages.println("vfio4j virt: waiting for a client on the serial socket " + path
                        + " before the guest starts (wait=off starts without one)");
                client();
            }
        }

        /** The connected client, accepting one first when there is none; null once closed. */
        private synchronized @Nullable UnixSocket client() throws IOException {
            UnixSocket c = client;
            if (c == null && !closed) {
                c = listener.accept();
                client = c;
            }
            return c;
        }

        @Override
        OutputStream output() {
            return new ChunkOutput() {
                @Override
                public void write(byte @Nullable [] b, int off, int len) {
                    Objects.requireNonNull(b);
                    UnixSocket c = client;
                    if (c != null && c.sendNow(b, off, len) < 0) {
                        c.shutdown();   // gone: the reader sees its end and accepts the next
                    }
                }
            };
        }

        @Override
        @Nullable InputStream input() {
            return new ChunkInput() {
                private final List<Integer> fds = UnixSocket.fdList();

                @Override
                public int read(byte @Nullable [] b, int off, int len) throws IOException {
                    Objects.requireNonNull(b);
                    byte[] buf = new byte[Math.min(len, 4096)];
                    while (!closed) {
                        UnixSocket c = client();
                        if (c == null) {
                            return -1;
                        }
                        int n = c.read(buf, fds);
                        UnixSocket.closeAll(fds);   // a console takes no descriptors
                        if (n > 0) {
                            System.arraycopy(buf, 0, b, off, n);
                            return n;
                        }
                        synchronized (SocketBackend.this) {
                            client = null;
                        }
                        c.close();
                    }
                    return -1;
                }
            };
        }

        @Override
        public void close() {
            closed = true;
            UnixSocket c = client;
            if (c != null) {
                c.shutdown();
            }
            listener.shutdown();
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // the directory went away: nothing to clean up
            }
        }
    }
}
