package org.vfio4j.virt.qmp;

import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.ControlOptions.QmpSocket;
import org.vfio4j.virt.UsageException;
import org.vfio4j.virt.pci.PciHotplug;
import org.vfio4j.virt.pci.PciRootBus;
import org.vfio4j.virt.run.RunControl;
import org.vfio4j.virt.run.RunOutcome;
import org.vfio4j.virt.run.UnixSocket;

import com.fasterxml.jackson.jr.ob.JSON;

/**
 * The machine's QMP sockets: listens on each, serves every client that connects, and turns the machine's run
 * state changes into QMP events for all of them.
 *
 * <p>Why the socket is made the VMM user's alone ({@code 0600}): QMP can stop the machine, end it and, with
 * hot-plug, hand it host devices; whoever may connect owns the guest. A manager running as another user
 * connects through a directory it shares with the VMM's user, or runs as that user, as with libvirt. A file
 * already at the path is replaced only if it is a socket owned by this user that nobody listens on (the leftover
 * of a VMM that was killed); anything else is an error naming the path.
 *
 * <p>Why several clients at once: QEMU serves one client per monitor and queues the rest; here up to
 * {@link #MAX_CLIENTS} are served together on each socket, each with its own negotiation, so a monitoring agent
 * and a manager can share one socket. A client beyond that is told so and disconnected.
 *
 * {@snippet :
 * RunControl control = new RunControl(true);
 * try (QmpServer qmp = QmpServer.open(List.of(new QmpSocket(Path.of("/run/vm.qmp"), true)), control, "vm1", System.err)) {
 *     // the runner sets the machine up, then holds its vCPUs for the wait=on socket's first client
 *     control.startGate(qmp::awaitFirstClients);
 *     // a client's cont lets the vCPUs go, its quit ends the run
 * }
 * }
 */
public final class QmpServer implements AutoCloseable {
    /** Clients served at once on one socket. */
    public static final int MAX_CLIENTS = 16;
    private static final long FLUSH_MILLIS = 1000;

    private final RunControl control;
    private final QmpCommands commands;
    private final String greeting;
    private final List<Listener> listeners = new ArrayList<>();
    private final Set<QmpSession> sessions = ConcurrentHashMap.newKeySet();
    private final Consumer<RunControl.Event> onEvent = this::broadcast;
    private volatile boolean closed;

    private QmpServer(RunControl control, @Nullable String name) {
        this.control = control;
        this.commands = new QmpCommands(control, name);
        this.greeting = greeting();
    }

    /**
     * Listens on every socket in {@code sockets} and starts serving. A socket with {@code waitForClient} (QEMU's
     * {@code wait=on}) is announced with a line on {@code err}; {@link #awaitFirstClients}, as the runner's start
     * gate ({@link RunControl#startGate}), then holds the vCPUs until its first client has connected, while the
     * machine is assembled and set up meanwhile. {@code name} is what {@code query-name} answers ({@code -name};
     * none when null).
     *
     * @throws UsageException when a path cannot be listened on; the message names it and says what to do
     */
    public static QmpServer open(List<QmpSocket> sockets, RunControl control, @Nullable String name,
            PrintStream err) throws UsageException {
        QmpServer server = new QmpServer(control, name);
        try {
            for (QmpSocket s : sockets) {
                server.listeners.add(server.listen(s.path(), s.waitForClient()));
            }
        } catch (UsageException e) {
            server.close();
            throw e;
        }
        control.listen(server.onEvent);
        for (QmpSocket s : sockets) {
            if (s.waitForClient()) {
                err.println("vfio4j virt: waiting for a QMP client on " + s.path()
                        + " before the guest starts (wait=off starts without one)");
            }
        }
        return server;
    }

    /**
     * Returns once every {@code wait=on} socket has had a client. Why here and not in {@link #open}: QEMU's
     * {@code wait=on} blocks its start-up, but all a client can observe is that the guest does not run before
     * it is there; setting the machine up meanwhile (devices, sandbox) means {@code cont} is not kept waiting.
     */
    public void awaitFirstClients() throws InterruptedException {
        for (Listener l : listeners) {
            if (l.waitForClient) {
                l.firstClient.await();
            }
        }
    }

    /** Gives {@code query-pci} the machine's PCIe root bus once the machine is assembled. */
    public void pciBus(PciRootBus bus) {
        commands.pciBus(bus);
    }

    /** Gives {@code device_add} and {@code device_del} the machine's hot-plug once the machine is assembled. */
    public void hotplug(PciHotplug hotplug) {
        commands.hotplug(hotplug);
    }

    /** The number of clients connected now, on all sockets. */
    public int clients() {
        return sessions.size();
    }

    /** Sends every client what is queued for it (at most a second each), closes them and removes the sockets. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        control.unlisten(onEvent);
        for (Listener l : listeners) {
            l.close();
        }
        for (QmpSession s : List.copyOf(sessions)) {
            s.closeAfterFlush(FLUSH_MILLIS);
        }
    }

    private Listener listen(Path path, boolean waitForClient) throws UsageException {
        Path abs = path.toAbsolutePath();
        removeStale(abs);
        UnixSocket ch;
        try {
            ch = UnixSocket.listen(abs);
        } catch (IOException e) {
            throw new UsageException("-qmp: cannot listen on " + abs + ": " + e.getMessage()
                    + " (give a path in a directory you may write, under 107 bytes)");
        }
        try {
            Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            ch.close();
            throw new UsageException("-qmp: cannot make " + abs + " private to this user: " + e.getMessage());
        }
        Listener l = new Listener(abs, ch, waitForClient);
        Thread.ofPlatform().daemon().name("qmp-accept").start(l::acceptLoop);   // blocks in accept(2)
        return l;
    }

    /** Removes a leftover socket of this user that nobody listens on; refuses anything else at {@code path}. */
    private static void removeStale(Path path) throws UsageException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if ((mode & 0170000) != 0140000 || owner != self) {
                throw new UsageException("-qmp: " + path + " exists and is not a socket of this user; "
                        + "remove it or give another path");
            }
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                throw new UsageException("-qmp: " + path + " is in use by a running process (another VMM?); "
                        + "give another path");
            } catch (IOException refused) {
                Files.delete(path);   // nobody listens: the socket of a VMM that was killed
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new UsageException("-qmp: cannot replace " + path + ": " + e.getMessage());
        }
    }

    private void broadcast(RunControl.Event e) {
        String json = switch (e) {
            case RunControl.Event.Stopped s -> event("STOP", null);
            case RunControl.Event.Resumed r -> event("RESUME", null);
            case RunControl.Event.Reset r -> event("RESET", shutdownData(r.outcome()));
            case RunControl.Event.PowerDown p -> event("POWERDOWN", null);
            case RunControl.Event.DeviceDeleted d -> event("DEVICE_DELETED", deletedData(d.id()));
            case RunControl.Event.Shutdown s -> event("SHUTDOWN", shutdownData(s.outcome()));
        };
        for (QmpSession s : sessions) {
            s.event(json);
        }
    }

    /** QEMU's {@code DEVICE_DELETED} data: the id and the device's path in the QOM tree. */
    private static Map<String, Object> deletedData(String id) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("device", id);
        data.put("path", "/machine/peripheral/" + id);
        return data;
    }

    private static Map<String, Object> shutdownData(RunOutcome outcome) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("guest", outcome.byGuest());
        data.put("reason", outcome.reason());
        return data;
    }

    /** A QMP event as QEMU writes it: its name, its data if any, and the wall-clock time it happened. */
    static String event(String name, @Nullable Map<String, Object> data) {
        Instant now = Instant.now();
        Map<String, Object> ts = new LinkedHashMap<>();
        ts.put("seconds", now.getEpochSecond());
        ts.put("microseconds", now.getNano() / 1000);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", name);
        if (data != null) {
            m.put("data", data);
        }
        m.put("timestamp", ts);
        return json(m);
    }

    private static String greeting() {
        Map<String, Object> qmp = new LinkedHashMap<>();
        qmp.put("version", QmpCommands.version());
        qmp.put("capabilities", List.of());
        return json(Map.of("QMP", qmp));
    }

    private static String json(Map<String, Object> m) {
        try {
            return JSON.std.asString(m);
        } catch (IOException e) {
            throw new IllegalStateException("a map of strings and numbers could not be written as JSON", e);
        }
    }

    /** One listening socket and the clients it has accepted. */
    private final class Listener {
        final Path path;
        final UnixSocket channel;
        final CountDownLatch firstClient = new CountDownLatch(1);
        final boolean waitForClient;
        final Set<QmpSession> mine = ConcurrentHashMap.newKeySet();

        Listener(Path path, UnixSocket channel, boolean waitForClient) {
            this.path = path;
            this.channel = channel;
            this.waitForClient = waitForClient;
        }

        void acceptLoop() {
            while (!closed) {
                UnixSocket client;
                try {
                    client = channel.accept();
                } catch (IOException | RuntimeException e) {
                    break;   // closed under us
                }
                if (client == null) {
                    break;
                }
                if (mine.size() >= MAX_CLIENTS) {
                    refuse(client);
                    continue;
                }
                QmpSession[] self = new QmpSession[1];
                QmpSession s = new QmpSession(client, commands, () -> {
                    sessions.remove(self[0]);
                    mine.remove(self[0]);
                });
                self[0] = s;
                mine.add(s);
                sessions.add(s);
                s.start(greeting);
                firstClient.countDown();
            }
            firstClient.countDown();   // a close while waiting for the first client releases the waiter
            channel.close();
        }

        private void refuse(UnixSocket client) {
            String msg = "{\"error\":{\"class\":\"GenericError\",\"desc\":\"" + MAX_CLIENTS
                    + " QMP clients are connected to this socket; try again later\"}}\r\n";
            try (client) {
                client.write(msg.getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // the refused client went away first
            }
        }

        /** Wakes the accept loop, which then releases the socket, and removes the path. */
        void close() {
            channel.shutdown();
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // the directory went away or became read-only: nothing to clean up then
            }
        }
    }
}
