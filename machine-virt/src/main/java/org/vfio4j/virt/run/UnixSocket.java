package org.vfio4j.virt.run;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;

/**
 * A UNIX stream socket over the kernel's own calls: a listening socket, or one accepted connection whose reads also
 * take the file descriptors the peer sent along (SCM_RIGHTS).
 *
 * <p>Why not {@code java.nio}'s channels: they cannot receive ancillary data, and QMP's {@code getfd} is exactly
 * that, a manager handing the VMM a device's file descriptor over the monitor socket, as libvirt does with QEMU;
 * and they cannot send without blocking, which a serial console must ({@link #sendNow}): a client that stops
 * reading must not stop the guest.
 * Reads and writes block their (platform) thread; {@link #shutdown} wakes a blocked read or accept, and
 * {@link #close} releases the descriptor once its threads are done with it.
 */
public final class UnixSocket implements AutoCloseable {
    private static final int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000, SHUT_RDWR = 2;
    private static final int SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_CMSG_CLOEXEC = 0x4000_0000, MSG_NOSIGNAL = 0x4000,
            MSG_DONTWAIT = 0x40;
    /** sun_path's size in {@code struct sockaddr_un}. */
    public static final int PATH_MAX = 108;
    /** File descriptors one read takes at most; the kernel closes what does not fit. */
    public static final int MAX_FDS = 16;
    private static final int BUFFER = 4096;
    /** {@code struct msghdr}: name, namelen, iov, iovlen, control, controllen, flags (64-bit layout). */
    private static final int MSGHDR = 56, IOV = 16, CMSG_HEADER = 16, CONTROL = CMSG_HEADER + 4 * MAX_FDS;

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final MemorySegment message;
    private final MemorySegment iov;
    private final MemorySegment control;
    private volatile boolean closed;

    private UnixSocket(int fd) {
        this.fd = fd;
        this.buffer = arena.allocate(BUFFER);
        this.message = arena.allocate(MSGHDR, 8);
        this.iov = arena.allocate(IOV, 8);
        this.control = arena.allocate(CONTROL, 8);
    }

    /** A socket listening at {@code path} (which must not exist); the message names the path on failure. */
    public static UnixSocket listen(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= PATH_MAX) {
            throw new IOException("the path is " + name.length + " bytes; a UNIX socket's path has fewer than "
                    + PATH_MAX);
        }
        int fd = Native.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket(AF_UNIX): " + Errno.describe(-fd));
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(2 + PATH_MAX);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(name, 0, addr, ValueLayout.JAVA_BYTE, 2, name.length);
            int r = Native.bind(fd, addr, 2 + name.length + 1);
            if (r == 0) {
                r = Native.listen(fd, 16);
            }
            if (r < 0) {
                Native.close(fd);
                throw new IOException(Errno.describe(-r));
            }
        }
        return new UnixSocket(fd);
    }

    /** The next connection; null once this listening socket is shut down. */
    public @Nullable UnixSocket accept() throws IOException {
        int c = Native.accept4(fd, SOCK_CLOEXEC);
        if (c < 0) {
            if (closed) {
                return null;
            }
            throw new IOException("accept: " + Errno.describe(-c));
        }
        return new UnixSocket(c);
    }

    /**
     * Reads what has arrived into {@code into} (at most its length, and 4 KiB), adding the file descriptors that came
     * with it to {@code fds}: the number of bytes, or -1 at the end of the stream.
     */
    public int read(byte[] into, List<Integer> fds) throws IOException {
        int want = Math.min(into.length, BUFFER);
        message.fill((byte) 0);
        iov.set(ValueLayout.JAVA_LONG, 0, buffer.address());
        iov.set(ValueLayout.JAVA_LONG, 8, want);
        message.set(ValueLayout.JAVA_LONG, 16, iov.address());
        message.set(ValueLayout.JAVA_LONG, 24, 1);
        message.set(ValueLayout.JAVA_LONG, 32, control.address());
        message.set(ValueLayout.JAVA_LONG, 40, CONTROL);
        long n = Native.recvmsg(fd, message, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (closed) {
                return -1;
            }
            throw new IOException("recvmsg: " + Errno.describe((int) -n));
        }
        takeRights(fds);
        if (n == 0) {
            return -1;
        }
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, into, 0, (int) n);
        return (int) n;
    }

    /** The descriptors of the SCM_RIGHTS message the last recvmsg filled in, if any. */
    private void takeRights(List<Integer> fds) {
        long length = Math.min(message.get(ValueLayout.JAVA_LONG, 40), CONTROL);
        long at = 0;
        while (at + CMSG_HEADER <= length) {
            long len = control.get(ValueLayout.JAVA_LONG, at);
            int level = control.get(ValueLayout.JAVA_INT, at + 8);
            int type = control.get(ValueLayout.JAVA_INT, at + 12);
            if (len < CMSG_HEADER || at + len > length) {
                return;
            }
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                for (long i = CMSG_HEADER; i + 4 <= len; i += 4) {
                    fds.add(control.get(ValueLayout.JAVA_INT, at + i));
                }
            }
            at += (len + 7) & ~7L;
        }
    }

    /** Writes all of {@code bytes}; an IOException when the peer has gone. */
    public void write(byte[] bytes) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, b, ValueLayout.JAVA_BYTE, 0, bytes.length);
            long off = 0;
            while (off < bytes.length) {
                long n = Native.send(fd, b.asSlice(off), bytes.length - off, MSG_NOSIGNAL);
                if (n < 0) {
                    throw new IOException("send: " + Errno.describe((int) -n));
                }
                off += n;
            }
        }
    }

    /**
     * Sends what fits now of {@code length} bytes of {@code bytes} from {@code offset}: the number sent, 0 when the
     * peer's buffer is full, -1 when the peer has gone.
     */
    public int sendNow(byte[] bytes, int offset, int length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(Math.max(1, length));
            MemorySegment.copy(bytes, offset, b, ValueLayout.JAVA_BYTE, 0, length);
            long n = Native.send(fd, b, length, MSG_NOSIGNAL | MSG_DONTWAIT);
            return n >= 0 ? (int) n : n == -Errno.EAGAIN ? 0 : -1;
        }
    }

    /** Ends both directions: a blocked read or accept returns, writes fail; the descriptor stays open. */
    public void shutdown() {
        closed = true;
        Native.shutdown(fd, SHUT_RDWR);
    }

    /** Shuts the socket down and releases it; only once no thread can be in a call on it any more. */
    @Override
    public void close() {
        shutdown();
        Native.close(fd);
        arena.close();
    }

    /** The received descriptors in {@code fds} closed, for a read whose descriptors nobody takes. */
    public static void closeAll(List<Integer> fds) {
        for (int f : fds) {
            Native.close(f);
        }
        fds.clear();
    }

    /** A list for {@link #read}'s descriptors. */
    public static List<Integer> fdList() {
        return new ArrayList<>();
    }
}
