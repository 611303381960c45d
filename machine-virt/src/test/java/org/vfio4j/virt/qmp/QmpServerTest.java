package org.vfio4j.virt.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.eclipse.jdt.annotation.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.virt.ControlOptions.QmpSocket;
import org.vfio4j.pci.BarSpace;
import org.vfio4j.pci.GuestBar;
import org.vfio4j.virt.CommandLine;
import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.UsageException;
import org.vfio4j.virt.device.DeviceRegistry;
import org.vfio4j.virt.device.DeviceSpec;
import org.vfio4j.virt.inject.VirtModules;
import org.vfio4j.virt.pci.PciFunction;
import org.vfio4j.virt.pci.PciHotplug;
import org.vfio4j.virt.pci.PciRootBus;
import org.vfio4j.virt.run.Preboot;
import org.vfio4j.virt.run.RunControl;
import org.vfio4j.virt.run.RunOutcome;

import com.fasterxml.jackson.jr.ob.JSON;
import com.google.inject.Guice;
import com.google.inject.Injector;

/** The QMP server on a real UNIX socket, driven by a client written here: the protocol and the bad clients. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QmpServerTest {
    @TempDir
    Path dir = Path.of("/nonexistent");
    private final List<QmpServer> servers = new ArrayList<>();
    private final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

    @AfterEach
    void closeServers() {
        servers.forEach(QmpServer::close);
    }

    /** A line-reading QMP client: what qemu.qmp and socat users do. */
    private static final class Client implements AutoCloseable {
        final SocketChannel channel;
        final BufferedReader in;

        Client(Path path) throws IOException {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(path));
            in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        }

        void send(String text) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        /** The next message; fails the test at the end of the stream. */
        Map<String, Object> next() throws IOException {
            String line = in.readLine();
            if (line == null) {
                throw new AssertionError("the server closed the connection where a message was expected");
            }
            return JSON.std.mapFrom(line);
        }

        /** Whether the server has closed the stream (nothing more to read). */
        boolean atEnd() throws IOException {
            return in.readLine() == null;
        }

        Map<String, Object> reply(String text) throws IOException {
            send(text);
            return next();
        }

        Client negotiated() throws IOException {
            assertTrue(next().containsKey("QMP"), "the greeting comes first");
            assertEquals(Map.of(), reply("{\"execute\":\"qmp_capabilities\"}").get("return"));
            return this;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private QmpServer server(RunControl control, Path... paths) throws Exception {
        List<QmpSocket> sockets = new ArrayList<>();
        for (Path p : paths) {
            sockets.add(new QmpSocket(p, false));
        }
        QmpServer s = QmpServer.open(sockets, control, null, quiet);
        servers.add(s);
        return s;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(@Nullable Object o) {
        return (Map<String, Object>) java.util.Objects.requireNonNull(o);
    }

    private static String errorClass(Map<String, Object> reply) {
        return (String) map(reply.get("error")).get("class");
    }

    private static String desc(Map<String, Object> reply) {
        return (String) map(reply.get("error")).get("desc");
    }

    @Test
    void greetingNegotiationAndCommandsFollowQemu() throws Exception {
        Path p = dir.resolve("vm.qmp");
        server(new RunControl(true), p);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
                "only the VMM's user may connect");
        try (Client c = new Client(p)) {
            Map<String, Object> qmp = map(c.next().get("QMP"));
            assertEquals(10, map(map(qmp.get("version")).get("qemu")).get("major"));
            assertEquals(List.of(), qmp.get("capabilities"));
            Map<String, Object> early = c.reply("{\"execute\":\"query-status\",\"id\":7}");
            assertEquals("CommandNotFound", errorClass(early));
            assertEquals(7, early.get("id"), "the id is echoed on errors too");
            assertEquals("GenericError", errorClass(c.reply("{\"execute\":\"qmp_capabilities\",\"arguments\":"
                    + "{\"enable\":[\"oob\"]}}")), "no capability is offered, so none may be enabled");
            Map<String, Object> ok = c.reply("{\"execute\":\"qmp_capabilities\",\"id\":{\"a\":[1,\"x\"]}}");
            assertEquals(Map.of(), ok.get("return"));
            assertEquals(Map.of("a", List.of(1, "x")), ok.get("id"), "any JSON id comes back as it was");
            assertEquals("CommandNotFound", errorClass(c.reply("{\"execute\":\"qmp_capabilities\"}")));
            assertEquals(Map.of("running", false, "status", "prelaunch"),
                    c.reply("{\"execute\":\"query-status\"}").get("return"));
            assertEquals(Map.of(), c.reply("{\"execute\":\"query-name\"}").get("return"), "no -name, no name");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> cmds = (List<Map<String, Object>>) c.reply("{\"execute\":\"query-commands\"}")
                    .get("return");
            List<Object> names = cmds.stream().map(m -> m.get("name")).toList();
            assertTrue(names.containsAll(List.of("query-status", "query-version", "stop", "cont", "quit")), names.toString());
            Map<String, Object> version = map(c.reply("{\"execute\":\"query-version\"}").get("return"));
            assertTrue(((String) version.get("package")).startsWith("vfio4j machine-virt"), version.toString());
            Map<String, Object> unknown = c.reply("{\"execute\":\"human-monitor-command\",\"id\":\"u\"}");
            assertEquals("CommandNotFound", errorClass(unknown));
            assertEquals("The command human-monitor-command has not been found", desc(unknown));
            assertEquals("Parameter 'force' is unexpected",
                    desc(c.reply("{\"execute\":\"stop\",\"arguments\":{\"force\":true}}")));
            assertEquals("QMP input member 'execute' must be a string", desc(c.reply("{\"execute\":3}")));
            assertEquals("QMP input member 'exec' is unexpected", desc(c.reply("{\"exec\":\"stop\"}")));
            assertEquals("QMP input must be a JSON object", desc(c.reply("[1,2]")));
        }
    }

    @Test
    void queryPciListsTheGuestsViewOfEachFunctionInQemusShape() throws Exception {
        Path p = dir.resolve("vm.qmp");
        QmpServer s = server(new RunControl(false), p);
        PciRootBus bus = new PciRootBus();
        int slot = bus.claimSlot("nvme0");
        byte[] config = new byte[256];
        java.nio.ByteBuffer cfg = java.nio.ByteBuffer.wrap(config).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        cfg.putShort(0x00, (short) 0x1b36).putShort(0x02, (short) 0x0010).putShort(0x0a, (short) 0x0108)
                .putShort(0x2c, (short) 0x1af4).putShort(0x2e, (short) 0x1100).put(0x3c, (byte) 0xff)
                .put(0x3d, (byte) 1);
        List<GuestBar> bars = List.of(new GuestBar(0, BarSpace.MEMORY, true, false, 0x4000, 0x10_0000_0000L),
                new GuestBar(2, BarSpace.IO, false, false, 32, -1));
        bus.attach(slot, new PciFunction() {
            @Override
            public int configRead(int offset, int size) {
                int v = 0;
                for (int i = size - 1; i >= 0; i--) {
                    v = v << 8 | config[offset + i] & 0xff;
                }
                return v;
            }

            @Override
            public void configWrite(int offset, int size, int value) {
                throw new AssertionError("query-pci must not write config space");
            }

            @Override
            public List<GuestBar> bars() {
                return bars;
            }
        });
        try (Client c = new Client(p).negotiated()) {
            assertEquals(List.of(Map.of("bus", 0, "devices", List.of())),
                    c.reply("{\"execute\":\"query-pci\"}").get("return"), "no device before the bus is given");
            s.pciBus(bus);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> buses = (List<Map<String, Object>>) c.reply("{\"execute\":\"query-pci\"}")
                    .get("return");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> devices = (List<Map<String, Object>>) buses.getFirst().get("devices");
            assertEquals(1, devices.size());
            Map<String, Object> d = devices.getFirst();
            assertEquals(List.of(0, slot, 0, "nvme0"), List.of(d.get("bus"), d.get("slot"), d.get("function"),
                    d.get("qdev_id")));
            assertEquals(Map.of("class", 0x0108), d.get("class_info"));
            assertEquals(Map.of("device", 0x10, "vendor", 0x1b36, "subsystem", 0x1100, "subsystem-vendor", 0x1af4),
                    d.get("id"));
            assertEquals(1, d.get("irq_pin"));
            assertEquals(0xff, d.get("irq"));
            assertEquals(List.of(Map.of("bar", 0, "type", "memory", "address", 0x10_0000_0000L, "size", 0x4000,
                    "prefetch", false, "mem_type_64", true), Map.of("bar", 2, "type", "io", "address",
                    new java.math.BigInteger("18446744073709551615"), "size", 32)), d.get("regions"),
                    "an I/O BAR that does not decode has QEMU's unmapped address, the uint64 all ones");
        }
    }

    @Test
    void deviceAddAndDeviceDelGiveQemusAnswersAndAFailedAddLeavesItsIdFree() throws Exception {
        Path p = dir.resolve("vm.qmp");
        RunControl control = new RunControl(false);
        QmpServer s = server(control, p);
        MachineConfig config = CommandLine.parse(new String[] {"-kernel", dir.resolve("Image").toString()}).config();
        Injector injector = Guice.createInjector(VirtModules.machine(config, Preboot.onDemand(config), control,
                List.of()));
        injector.getInstance(DeviceRegistry.class).create(DeviceSpec.parse("pcie-root-port,id=rp1,chassis=1,slot=1"));
        String nvme = "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"vfio-pci\",\"host\":\"0000:7f:1f.7\","
                + "\"id\":\"hp0\"";
        try (Client c = new Client(p).negotiated()) {
            assertTrue(desc(c.reply(nvme + ",\"bus\":\"rp1\"}}")).contains("not assembled"), "before the machine is");
            s.hotplug(injector.getInstance(PciHotplug.class));
            assertEquals("Bus 'pcie.0' does not support hotplugging; add it with bus= one of [rp1]",
                    desc(c.reply(nvme + "}}")));
            assertEquals("Bus 'nope' not found; the root ports are [rp1]", desc(c.reply(nvme + ",\"bus\":\"nope\"}}")));
            assertEquals("Parameter 'driver' is missing", desc(c.reply("{\"execute\":\"device_add\",\"arguments\":"
                    + "{\"bus\":\"rp1\"}}")));
            assertTrue(desc(c.reply(nvme + ",\"bus\":\"rp1\",\"x-no-mmap\":{\"a\":1}}}")).startsWith(
                    "Invalid parameter type for 'x-no-mmap'"));
            assertTrue(desc(c.reply("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"platform-stub\","
                    + "\"bus\":\"rp1\"}}")).contains("can not be hot-plugged"));
            String refused = desc(c.reply(nvme + ",\"bus\":\"rp1\",\"x-no-mmap\":true}}"));
            assertTrue(refused.contains("0000:7f:1f.7"), "a host device this machine lacks: " + refused);
            assertEquals(refused, desc(c.reply(nvme + ",\"bus\":\"rp1\",\"x-no-mmap\":true}}")),
                    "the same answer again, not a duplicate id");
            Map<String, Object> unknown = c.reply("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"hp0\"}}");
            assertEquals("DeviceNotFound", errorClass(unknown));
            assertEquals("Device 'hp0' not found", desc(unknown));
            Map<String, Object> port = c.reply("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"rp1\"}}");
            assertEquals("GenericError", errorClass(port));
            assertTrue(desc(port).contains("not in a pcie-root-port's slot"), desc(port));
        }
    }

    @Test
    void malformedInputCostsAnErrorReplyNotTheConnection() throws Exception {
        Path p = dir.resolve("vm.qmp");
        server(new RunControl(false), p);
        try (Client c = new Client(p).negotiated()) {
            assertTrue(desc(c.reply("{\"execute\":}")).startsWith("JSON parse error"));
            assertTrue(desc(c.reply("hello\n")).contains("stray 'hello'"));
            assertEquals(Map.of("running", true, "status", "running"),
                    c.reply("{\"execute\":\"query-status\"}").get("return"), "the connection still serves");
        }
    }

    @Test
    void anOversizedMessageIsAnsweredAndTheConnectionClosed() throws Exception {
        Path p = dir.resolve("vm.qmp");
        server(new RunControl(false), p);
        try (Client c = new Client(p).negotiated()) {
            c.send("{\"execute\":\"" + "x".repeat(JsonFramer.MAX_BYTES + 10));
            assertTrue(desc(c.next()).contains("longer than"));
            assertTrue(c.atEnd(), "then the end of the stream");
        }
        try (Client again = new Client(p).negotiated()) {
            assertEquals("running", map(again.reply("{\"execute\":\"query-status\"}").get("return")).get("status"));
        }
    }

    @Test
    void stopAndContEmitTheirEventsBeforeTheirReplies() throws Exception {
        Path p = dir.resolve("vm.qmp");
        RunControl control = new RunControl(false);
        server(control, p);
        try (Client c = new Client(p).negotiated()) {
            long before = System.currentTimeMillis() / 1000;
            c.send("{\"execute\":\"stop\",\"id\":1}");
            Map<String, Object> stop = c.next();
            assertEquals("STOP", stop.get("event"));
            Map<String, Object> ts = map(stop.get("timestamp"));
            assertTrue(((Number) ts.get("seconds")).longValue() >= before, ts.toString());
            assertTrue(((Number) ts.get("microseconds")).intValue() < 1_000_000, ts.toString());
            assertEquals(1, c.next().get("id"));
            assertEquals(RunControl.Status.PAUSED, control.status());
            assertEquals("paused", map(c.reply("{\"execute\":\"query-status\"}").get("return")).get("status"));
            c.send("{\"execute\":\"cont\",\"id\":2}");
            assertEquals("RESUME", c.next().get("event"));
            assertEquals(2, c.next().get("id"));
            assertEquals(RunControl.Status.RUNNING, control.status());
        }
    }

    @Test
    void quitRepliesThenEndsTheRunAndEveryClientSeesShutdown() throws Exception {
        Path p = dir.resolve("vm.qmp");
        RunControl control = new RunControl(false);
        QmpServer server = server(control, p);
        try (Client watcher = new Client(p).negotiated(); Client c = new Client(p).negotiated();
                Client unnegotiated = new Client(p)) {
            assertTrue(unnegotiated.next().containsKey("QMP"));
            Map<String, Object> ok = c.reply("{\"execute\":\"quit\",\"id\":\"q\"}");
            assertEquals("q", ok.get("id"));
            assertEquals(RunOutcome.quit(), control.outcome().get(10, TimeUnit.SECONDS));
            for (Client each : List.of(c, watcher)) {
                Map<String, Object> shutdown = each.next();
                assertEquals("SHUTDOWN", shutdown.get("event"));
                assertEquals(Map.of("guest", false, "reason", "host-qmp-quit"), shutdown.get("data"));
            }
            assertEquals("GenericError", errorClass(c.reply("{\"execute\":\"cont\"}")), "no cont after the end");
            server.close();
            assertTrue(c.atEnd(), "closing the server ends every connection");
            assertTrue(unnegotiated.atEnd(), "a client that never negotiated hears no event, only the end");
            assertTrue(!Files.exists(p), "the socket file is removed");
        }
    }

    @Test
    void systemResetRepliesThenResetsTheBootWithItsEvent() throws Exception {
        Path p = dir.resolve("vm.qmp");
        RunControl control = new RunControl(false);
        server(control, p);
        try (Client c = new Client(p).negotiated()) {
            assertEquals(Map.of(), c.reply("{\"execute\":\"system_reset\"}").get("return"));
            assertEquals(RunOutcome.systemReset(), control.outcome().get(10, TimeUnit.SECONDS));
            Map<String, Object> reset = c.next();
            assertEquals("RESET", reset.get("event"));
            assertEquals(Map.of("guest", false, "reason", "host-qmp-system-reset"), reset.get("data"));
            assertEquals("running", map(c.reply("{\"execute\":\"query-status\"}").get("return")).get("status"));
            control.finish(RunOutcome.quit());
            assertEquals("SHUTDOWN", c.next().get("event"));
            assertEquals("GenericError", errorClass(c.reply("{\"execute\":\"system_reset\"}")),
                    "no reset after the end");
        }
    }

    @Test
    void systemPowerdownPressesTheBootsButtonWithItsEventAndLeavesTheRunToTheGuest() throws Exception {
        Path p = dir.resolve("vm.qmp");
        RunControl control = new RunControl(false);
        java.util.concurrent.CountDownLatch pressed = new java.util.concurrent.CountDownLatch(1);
        control.powerButton(pressed::countDown);
        server(control, p);
        try (Client c = new Client(p).negotiated()) {
            assertEquals(Map.of(), c.reply("{\"execute\":\"system_powerdown\"}").get("return"));
            assertEquals("POWERDOWN", c.next().get("event"));
            assertTrue(pressed.await(10, TimeUnit.SECONDS), "the button was not pressed");
            assertEquals("running", map(c.reply("{\"execute\":\"query-status\"}").get("return")).get("status"),
                    "the guest decides what a press means");
            control.finish(RunOutcome.quit());
            assertEquals("SHUTDOWN", c.next().get("event"));
            assertEquals("GenericError", errorClass(c.reply("{\"execute\":\"system_powerdown\"}")),
                    "no button after the end");
        }
    }

    @Test
    void upToTheLimitClientsAreServedAtOnceAndOneMoreIsTurnedAway() throws Exception {
        Path p = dir.resolve("vm.qmp");
        RunControl control = new RunControl(false);
        QmpServer server = server(control, p);
        List<Client> clients = new ArrayList<>();
        try {
            for (int i = 0; i < QmpServer.MAX_CLIENTS; i++) {
                clients.add(new Client(p).negotiated());
            }
            try (Client extra = new Client(p)) {
                assertTrue(desc(extra.next()).contains("QMP clients are connected to this socket"));
                assertTrue(extra.atEnd());
            }
            assertEquals(QmpServer.MAX_CLIENTS, server.clients());
            control.pause();
            for (Client c : clients) {
                assertEquals("STOP", c.next().get("event"), "every negotiated client hears the event");
            }
            clients.remove(0).close();
            // the server learns of the disconnect when it reads the end of that stream: wait for it, not for time
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> {
                while (server.clients() >= QmpServer.MAX_CLIENTS) {
                    Thread.onSpinWait();
                }
            }, "the server never noticed the disconnect");
            try (Client replacement = new Client(p).negotiated()) {
                assertEquals("paused", map(replacement.reply("{\"execute\":\"query-status\"}").get("return"))
                        .get("status"), "a place freed by a disconnect is taken again");
            }
        } finally {
            for (Client c : clients) {
                c.close();
            }
        }
    }

    @Test
    void aClientThatStopsReadingIsDisconnectedAndTheMachineGoesOn() throws Exception {
        Path p = dir.resolve("vm.qmp");
        RunControl control = new RunControl(false);
        QmpServer server = server(control, p);
        try (Client stuck = new Client(p).negotiated(); Client gone = new Client(p)) {
            gone.send("{\"execute\":\"query-");
            gone.close();   // disconnects mid-command
            // Far more events than the socket buffer and the outbox hold, while the stuck client reads nothing.
            for (int i = 0; i < 20_000 && server.clients() > 0; i++) {
                control.pause();
                control.resume();
            }
            assertEquals(0, server.clients(), "the stuck client was dropped");
            assertEquals(RunControl.Status.RUNNING, control.status());
            int events = 0;
            while (stuck.in.readLine() != null) {
                events++;   // what was already on its way, then the end of the stream
            }
            assertTrue(events > 0);
            try (Client fresh = new Client(p).negotiated()) {
                assertEquals("running", map(fresh.reply("{\"execute\":\"query-status\"}").get("return")).get("status"));
            }
        }
    }

    @Test
    void aLeftoverSocketIsReplacedButALiveOneOrAFileIsNot() throws Exception {
        Path stale = dir.resolve("stale.qmp");
        ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        old.bind(UnixDomainSocketAddress.of(stale));
        old.close();   // the file stays, as after a VMM killed with SIGKILL
        assertTrue(Files.exists(stale));
        server(new RunControl(false), stale);
        try (Client c = new Client(stale).negotiated()) {
            assertEquals("running", map(c.reply("{\"execute\":\"query-status\"}").get("return")).get("status"));
        }
        String inUse = assertThrows(UsageException.class, () -> server(new RunControl(false), stale)).getMessage();
        assertTrue(inUse.contains("is in use by a running process"), inUse);
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        assertTrue(assertThrows(UsageException.class, () -> server(new RunControl(false), file)).getMessage()
                .contains("is not a socket of this user"));
    }

    @Test
    void waitOnHoldsTheGuestsStartUntilTheFirstClient() throws Exception {
        Path p = dir.resolve("wait.qmp");
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        QmpServer s = QmpServer.open(List.of(new QmpSocket(p, true)), new RunControl(true), "vm1",
                new PrintStream(said, true, StandardCharsets.UTF_8));
        servers.add(s);
        assertTrue(said.toString(StandardCharsets.UTF_8).contains("waiting for a QMP client on " + p), said::toString);
        CompletableFuture<Void> started = CompletableFuture.runAsync(() -> {
            try {
                s.awaitFirstClients();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThrows(TimeoutException.class, () -> started.get(300, TimeUnit.MILLISECONDS),
                "the guest's start is held while nobody has connected");
        server(new RunControl(true), dir.resolve("nowait.qmp")).awaitFirstClients();   // wait=off: not held
        try (Client c = new Client(p).negotiated()) {
            assertEquals("prelaunch", map(c.reply("{\"execute\":\"query-status\"}").get("return")).get("status"));
            assertEquals(Map.of("name", "vm1"), c.reply("{\"execute\":\"query-name\"}").get("return"));
            started.get(30, TimeUnit.SECONDS);
        }
    }

}
