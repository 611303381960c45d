package org.vfio4j.virt.qmp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.run.UnixSocket;

import com.fasterxml.jackson.jr.ob.JSON;

/**
 * One QMP client connection: greeting, capability negotiation, then commands answered in order and events
 * pushed between them.
 *
 * <p>Why a reader and a writer thread with a bounded outbox between them: an event is raised on whatever thread
 * changed the run state — a vCPU thread when the guest powers off — and must never wait for a client. Events
 * and replies are queued (never blocking); a client that stops reading until {@link #OUTBOX} messages are
 * waiting is disconnected, and the machine goes on. Both threads are virtual: a thousand idle clients cost
 * no platform threads.
 *
 * <p>Why nothing escapes: every failure here — bad JSON, an oversized message, a command that throws, a client
 * that disconnects mid-command — ends in an error reply or a closed connection. An exception leaving a
 * thread of the VMM would end the VMM (the runner treats it as a fault of its own).
 */
final class QmpSession {
    /** Messages waiting for a slow client before it is disconnected. */
    static final int OUTBOX = 1024;
    private static final String FLUSHED = "";

    private final UnixSocket channel;
    /** The descriptors this client has handed over. */
    private final QmpFds fds = new QmpFds();
    private final QmpCommands commands;
    private final Runnable onClose;
    private final ArrayBlockingQueue<String> outbox = new ArrayBlockingQueue<>(OUTBOX + 1);
    private final JsonFramer framer = new JsonFramer();
    private volatile boolean negotiated;
    private volatile boolean closed;
    private volatile @Nullable Thread writer;

    QmpSession(UnixSocket channel, QmpCommands commands, Runnable onClose) {
        this.channel = channel;
        this.commands = commands;
        this.onClose = onClose;
    }

    /** Sends the greeting and starts serving the client. */
    void start(String greeting) {
        send(greeting);
        // platform threads: each blocks in the kernel (recvmsg, send), which would hold a virtual thread's carrier
        writer = Thread.ofPlatform().daemon().name("qmp-writer").start(this::writeLoop);
        Thread.ofPlatform().daemon().name("qmp-reader").start(this::readLoop);
    }

    /** Queues an event for the client, once it has negotiated (QMP sends none before). */
    void event(String json) {
        if (negotiated) {
            send(json);
        }
    }

    /** Sends what is queued (waiting at most {@code millis}), then closes the connection. */
    void closeAfterFlush(long millis) {
        outbox.offer(FLUSHED);
        Thread w = writer;
        if (w != null) {
            try {
                w.join(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        close();
    }

    /**
     * Ends the connection at once: the reader wakes and, once the writer has ended too, releases the socket and the
     * descriptors the client handed over.
     */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        channel.shutdown();
        Thread w = writer;
        if (w != null) {
            w.interrupt();
        }
        onClose.run();
    }

    private void send(String json) {
        if (!closed && !outbox.offer(json)) {
            close();   // the client has not read OUTBOX messages: it is stuck or hostile; the machine goes on
        }
    }

    private void writeLoop() {
        try {
            while (!closed) {
                String m = outbox.poll(1, TimeUnit.DAYS);
                if (m == null) {
                    continue;
                }
                if (m == FLUSHED) {
                    return;
                }
                channel.write((m + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
        }
    }

    private void readLoop() {
        byte[] bytes = new byte[4096];
        java.util.List<Integer> received = UnixSocket.fdList();
        try {
            while (!closed) {
                int n = channel.read(bytes, received);
                fds.arrived(received);
                if (n < 0) {
                    break;
                }
                for (JsonFramer.Piece p : framer.feed(bytes, 0, n)) {
                    switch (p) {
                        case JsonFramer.Piece.Text t -> handle(t.json());
                        case JsonFramer.Piece.Stray s -> reply(false, null,
                                error(QmpError.generic("JSON parse error, stray '" + shorten(s.token())
                                        + "'; QMP input must be a JSON object")));
                        case JsonFramer.Piece.Fatal f -> {
                            reply(false, null, error(QmpError.generic(f.why() + " is not accepted; closing")));
                            closeAfterFlush(1000);
                            release();
                            return;
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away mid-message, or the connection was closed under us
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
        release();
    }

    /** After the reader: waits for the writer to end, then frees the socket and the client's descriptors. */
    private void release() {
        Thread w = writer;
        if (w != null) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        fds.close();
        channel.close();
    }

    private void handle(String json) throws InterruptedException {
        Object parsed;
        try {
            parsed = JSON.std.anyFrom(json);
        } catch (IOException | RuntimeException e) {
            reply(false, null, error(QmpError.generic("JSON parse error, " + shorten(firstLine(e.getMessage())))));
            return;
        }
        if (!(parsed instanceof Map<?, ?> msg)) {
            reply(false, null, error(QmpError.generic("QMP input must be a JSON object")));
            return;
        }
        boolean hasId = msg.containsKey("id");
        Object id = msg.get("id");
        QmpCommands.Result r;
        try {
            r = run(msg);
        } catch (QmpError e) {
            fds.commandDone();   // before the reply: a client that has its answer sees the descriptors gone
            reply(hasId, id, error(e));
            return;
        }
        fds.commandDone();
        Map<String, @Nullable Object> ok = new LinkedHashMap<>();
        ok.put("return", r.value());
        reply(hasId, id, ok);
        Runnable then = r.then();
        if (then != null) {
            then.run();
        }
    }

    private QmpCommands.Result run(Map<?, ?> msg) throws QmpError, InterruptedException {
        for (Object key : msg.keySet()) {
            if (!"execute".equals(key) && !"arguments".equals(key) && !"id".equals(key)) {
                throw QmpError.generic("QMP input member '" + key + "' is unexpected");
            }
        }
        if (!msg.containsKey("execute")) {
            throw QmpError.generic("QMP input lacks member 'execute'");
        }
        if (!(msg.get("execute") instanceof String name)) {
            throw QmpError.generic("QMP input member 'execute' must be a string");
        }
        Object rawArgs = msg.containsKey("arguments") ? msg.get("arguments") : Map.of();
        if (!(rawArgs instanceof Map<?, ?> rawMap)) {
            throw QmpError.generic("QMP input member 'arguments' must be an object");
        }
        Map<String, Object> args = new LinkedHashMap<>();
        rawMap.forEach((k, v) -> args.put(String.valueOf(k), v));
        if (!negotiated) {
            if (!name.equals("qmp_capabilities")) {
                throw QmpError.commandNotFound("Expecting capabilities negotiation with 'qmp_capabilities'");
            }
            checkCapabilities(args.get("enable"));
        } else if (name.equals("qmp_capabilities")) {
            throw QmpError.commandNotFound("Capabilities negotiation is already complete, command ignored");
        }
        QmpCommands.Result r;
        try {
            r = commands.execute(name, args, fds);
        } catch (RuntimeException e) {
            throw QmpError.generic(name + " failed: " + e.getMessage());
        }
        negotiated = true;
        return r;
    }

    private static void checkCapabilities(@Nullable Object enable) throws QmpError {
        if (enable == null) {
            return;
        }
        if (!(enable instanceof List<?> list)) {
            throw QmpError.generic("Invalid parameter type for 'enable', expected: array");
        }
        for (Object cap : list) {
            throw QmpError.generic("Capability '" + cap + "' is not available");
        }
    }

    private void reply(boolean hasId, @Nullable Object id, Map<String, @Nullable Object> body) {
        if (hasId) {
            body.put("id", id);
        }
        try {
            send(JSON.std.asString(body));
        } catch (IOException e) {
            send("{\"error\":{\"class\":\"GenericError\",\"desc\":\"the reply could not be written as JSON\"}}");
        }
    }

    private static Map<String, @Nullable Object> error(QmpError e) {
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("class", e.errorClass());
        err.put("desc", e.getMessage());
        Map<String, @Nullable Object> body = new LinkedHashMap<>();
        body.put("error", err);
        return body;
    }

    private static String firstLine(@Nullable String s) {
        if (s == null) {
            return "malformed input";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
