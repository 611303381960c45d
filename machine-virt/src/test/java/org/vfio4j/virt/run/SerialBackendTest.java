package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.virt.ControlOptions.Serial;
import org.vfio4j.virt.UsageException;

/** The UART's backends on this host's kernel: a file, a pseudo-terminal, a listening socket. */
@Timeout(30)
class SerialBackendTest {
    @TempDir
    Path dir = Path.of("/nonexistent");

    private final ByteArrayOutputStream said = new ByteArrayOutputStream();
    private final PrintStream messages = new PrintStream(said, true, StandardCharsets.UTF_8);

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aFileTakesTheOutputAndGivesNoInput() throws Exception {
        Path log = dir.resolve("console.log");
        try (SerialBackend b = SerialBackend.open(new Serial(Serial.Kind.FILE, log, false), messages)) {
            assertFalse(b.isConsole());
            assertEquals(null, b.input());
            b.output().write(ascii("VFIO4J-GUEST-MARKER\n"));
        }
        assertEquals("VFIO4J-GUEST-MARKER\n", Files.readString(log));
        UsageException e = assertThrows(UsageException.class, () -> SerialBackend.open(
                new Serial(Serial.Kind.FILE, dir.resolve("no/such/dir/log"), false), messages));
        assertTrue(e.getMessage().startsWith("-serial file:"), e.getMessage());
    }

    @Test
    void aPtyIsNamedAndCarriesBothWaysAndOutputWithoutAReaderIsDropped() throws Exception {
        try (SerialBackend b = SerialBackend.open(new Serial(Serial.Kind.PTY, null, false), messages)) {
            Matcher m = Pattern.compile("char device redirected to (/dev/pts/\\d+) \\(label serial0\\)")
                    .matcher(said.toString(StandardCharsets.UTF_8));
            assertTrue(m.find(), said.toString(StandardCharsets.UTF_8));
            for (int i = 0; i < 10_000; i++) {
                b.output().write(ascii("nobody reads this line yet, and the writer must not wait for anyone\n"));
            }
            try (RandomAccessFile slave = new RandomAccessFile(m.group(1), "rw")) {
                InputStream in = b.input();
                assertNotNull(in);
                slave.write(ascii("ls\r"));
                byte[] got = new byte[3];
                int n = 0;
                while (n < 3) {
                    n += in.read(got, n, 3 - n);
                }
                assertEquals("ls\r", new String(got, StandardCharsets.US_ASCII), "raw: no line discipline in between");
                b.output().write(ascii("guest says hi\n"));
                // on a thread of its own: a read that never returns fails the test instead of hanging it
                String seen = CompletableFuture.supplyAsync(() -> {
                    byte[] back = new byte[64];
                    StringBuilder text = new StringBuilder();
                    try {
                        while (text.indexOf("guest says hi") < 0) {
                            int r = slave.read(back);
                            text.append(new String(back, 0, r, StandardCharsets.US_ASCII));
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return text.toString();
                }).get(10, TimeUnit.SECONDS);
                assertEquals("guest says hi\n", seen, "only what came once the slave was open, unchanged");
            }
        }
    }

    @Test
    void aSocketServesOneClientAtATimeAndWaitsForTheFirstWhenAsked() throws Exception {
        Path sock = dir.resolve("serial.sock");
        try (SerialBackend b = SerialBackend.open(new Serial(Serial.Kind.UNIX, sock, true), messages)) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(sock)), "only the VMM's user may connect");
            b.output().write(ascii("before anyone connects: dropped\n"));
            CompletableFuture<Void> waited = CompletableFuture.runAsync(() -> {
                try {
                    b.awaitClient();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                client.connect(UnixDomainSocketAddress.of(sock));
                waited.get(10, TimeUnit.SECONDS);
                assertTrue(said.toString(StandardCharsets.UTF_8).contains("waiting for a client on the serial socket"));
                b.output().write(ascii("hello\n"));
                ByteBuffer buf = ByteBuffer.allocate(64);
                client.read(buf);
                assertEquals("hello\n", new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII),
                        "what came before the client is not replayed");
                client.write(ByteBuffer.wrap(ascii("x")));
                InputStream in = b.input();
                assertNotNull(in);
                assertEquals('x', in.read());
            }
            CompletableFuture<Integer> next = CompletableFuture.supplyAsync(() -> {
                try {
                    return java.util.Objects.requireNonNull(b.input()).read();   // sees the first client's end, then takes the second
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (SocketChannel second = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                second.connect(UnixDomainSocketAddress.of(sock));
                second.write(ByteBuffer.wrap(ascii("y")));
                assertEquals('y', next.get(10, TimeUnit.SECONDS));
                OutputStream out = b.output();
                out.write(ascii("to the second\n"));
                ByteBuffer buf = ByteBuffer.allocate(64);
                second.read(buf);
                assertEquals("to the second\n", new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
            }
        }
        assertFalse(Files.exists(sock), "the socket is removed at the end");
        UsageException e = assertThrows(UsageException.class, () -> {
            Files.createFile(sock);
            SerialBackend.open(new Serial(Serial.Kind.UNIX, sock, false), messages);
        });
        assertTrue(e.getMessage().contains("exists"), e.getMessage());
    }
}
