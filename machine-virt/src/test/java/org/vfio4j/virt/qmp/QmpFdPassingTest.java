package org.vfio4j.virt.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.sys.Native;
import org.vfio4j.virt.ControlOptions.QmpSocket;
import org.vfio4j.virt.run.RunControl;

import com.fasterxml.jackson.jr.ob.JSON;

/**
 * QMP's {@code getfd} and {@code closefd}: a client hands the VMM descriptors over the socket (SCM_RIGHTS), names
 * them, and they stay that client's until a command takes them or it disconnects.
 */
@Timeout(30)
class QmpFdPassingTest {
    @TempDir
    Path dir = Path.of("/nonexistent");

    /** A QMP client over the kernel's calls, because java.nio cannot send descriptors. */
    private static final class FdClient implements AutoCloseable {
        private final int fd;
        private final StringBuilder pending = new StringBuilder();

        FdClient(Path path) throws IOException {
            fd = Native.socket(1, 1 | 0x80000, 0);
            byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment addr = a.allocate(110);
                addr.set(ValueLayout.JAVA_SHORT, 0, (short) 1);
                MemorySegment.copy(name, 0, addr, ValueLayout.JAVA_BYTE, 2, name.length);
                int r = Native.connect(fd, addr, 2 + name.length + 1);
                if (r < 0) {
                    throw new IOException("connect: " + r);
                }
            }
            next();   // the greeting
            reply("{\"execute\":\"qmp_capabilities\"}");
        }

        /** Sends {@code json}, with {@code passed} as SCM_RIGHTS when it is 0 or more. */
        void send(String json, int passed) throws IOException {
            byte[] b = (json + "\n").getBytes(StandardCharsets.UTF_8);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(b.length);
                MemorySegment.copy(b, 0, buf, ValueLayout.JAVA_BYTE, 0, b.length);
                MemorySegment iov = a.allocate(16, 8);
                iov.set(ValueLayout.JAVA_LONG, 0, buf.address());
                iov.set(ValueLayout.JAVA_LONG, 8, b.length);
                MemorySegment msg = a.allocate(56, 8);
                msg.set(ValueLayout.JAVA_LONG, 16, iov.address());
                msg.set(ValueLayout.JAVA_LONG, 24, 1);
                if (passed >= 0) {
                    MemorySegment control = a.allocate(24, 8);
                    control.set(ValueLayout.JAVA_LONG, 0, 20);   // CMSG_LEN(sizeof(int))
                    control.set(ValueLayout.JAVA_INT, 8, 1);     // SOL_SOCKET
                    control.set(ValueLayout.JAVA_INT, 12, 1);    // SCM_RIGHTS
                    control.set(ValueLayout.JAVA_INT, 16, passed);
                    msg.set(ValueLayout.JAVA_LONG, 32, control.address());
                    msg.set(ValueLayout.JAVA_LONG, 40, 24);
                }
                long n = Native.sendmsg(fd, msg, 0x4000);
                if (n != b.length) {
                    throw new IOException("sendmsg: " + n);
                }
            }
        }

        Map<String, Object> next() throws IOException {
            while (pending.indexOf("\n") < 0) {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment buf = a.allocate(4096);
                    long n = Native.read(fd, buf, 4096);
                    if (n <= 0) {
                        throw new IOException("the VMM closed the connection");
                    }
                    pending.append(new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
                }
            }
            int nl = pending.indexOf("\n");
            String line = pending.substring(0, nl);
            pending.delete(0, nl + 1);
            return JSON.std.mapFrom(line);
        }

        Map<String, Object> reply(String json) throws IOException {
            return reply(json, -1);
        }

        Map<String, Object> reply(String json, int passed) throws IOException {
            send(json, passed);
            return next();
        }

        @Override
        public void close() {
            Native.close(fd);
        }
    }

    @SuppressWarnings("unchecked")
    private static String desc(Map<String, Object> reply) {
        Object error = reply.get("error");
        return error instanceof Map<?, ?> e ? (String) ((Map<String, Object>) e).get("desc") : "no error: " + reply;
    }

    /** How many descriptors this process holds for the memfd called {@code name}. */
    private static long holders(String name) throws IOException {
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(p).toString().startsWith("/memfd:" + name)) {
                        n++;
                    }
                } catch (IOException gone) {
                    // a descriptor closed while listing
                }
            }
        }
        return n;
    }

    @Test
    void aClientNamesDescriptorsItSentAndTheyGoWhenItDoes() throws Exception {
        Path p = dir.resolve("vm.qmp");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        String name = "vfio4j-getfd-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        int memfd = Native.memfdCreate(name, 1);   // MFD_CLOEXEC
        assertTrue(memfd >= 0);
        try (QmpServer server = QmpServer.open(List.of(new QmpSocket(p, false)), new RunControl(false), null, quiet)) {
            long alone = holders(name);
            assertEquals(1, alone);
            try (FdClient c = new FdClient(p)) {
                assertEquals("No file descriptor supplied via SCM_RIGHTS",
                        desc(c.reply("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"dev\"}}")));
                assertEquals("Parameter 'fdname' expects a name not starting with a digit",
                        desc(c.reply("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"1dev\"}}", memfd)));
                assertEquals(alone, holders(name), "a descriptor no command took is closed after the command");
                assertEquals(Map.of(), c.reply("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"dev\"}}",
                        memfd).get("return"));
                assertEquals(alone + 1, holders(name), "the VMM holds the named descriptor");
                c.send(" ", memfd);   // qemu.qmp's send_fd_scm: one space with the descriptor
                assertEquals(Map.of(), c.reply("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"dev\"}}")
                        .get("return"));
                assertEquals(alone + 1, holders(name), "naming again replaces, and closes, the earlier one");
                assertEquals("File descriptor named 'gone' not found",
                        desc(c.reply("{\"execute\":\"closefd\",\"arguments\":{\"fdname\":\"gone\"}}")));
                try (FdClient other = new FdClient(p)) {
                    assertEquals("File descriptor named 'dev' not found",
                            desc(other.reply("{\"execute\":\"closefd\",\"arguments\":{\"fdname\":\"dev\"}}")),
                            "one client's descriptors are not another's");
                }
                assertEquals(Map.of(), c.reply("{\"execute\":\"closefd\",\"arguments\":{\"fdname\":\"dev\"}}")
                        .get("return"));
                assertEquals(alone, holders(name));
                c.reply("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"kept\"}}", memfd);
                assertEquals(alone + 1, holders(name));
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (holders(name) != alone && System.nanoTime() < deadline) {
                Thread.onSpinWait();   // the session releases its descriptors on its own thread once it sees the end
            }
            assertEquals(alone, holders(name), "a client's descriptors are closed when it disconnects");
        } finally {
            Native.close(memfd);
        }
    }
}
