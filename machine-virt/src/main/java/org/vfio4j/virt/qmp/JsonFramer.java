package org.vfio4j.virt.qmp;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a QMP byte stream into top-level JSON texts, without parsing them.
 *
 * <p>Why framing by structure and not by line: QMP has no delimiter. QEMU's own client library sends each
 * command as bare JSON with no newline after it, others send one per line; QEMU's server splits on the
 * structure (braces and brackets outside strings), and so does this. A stray token outside any object is
 * reported and skipped, as QEMU's lexer does, so one bad byte costs the client one error reply, not its
 * connection.
 *
 * <p>Why bounds: a client could otherwise make the VMM buffer without end or recurse deeply in the parser.
 * A text longer than {@link #MAX_BYTES} or nested deeper than {@link #MAX_DEPTH} is {@link Piece.Fatal}: the
 * session answers it and closes, since what follows cannot be framed again reliably.
 */
final class JsonFramer {
    /** The largest command text taken (a {@code device_add} is a few hundred bytes). */
    static final int MAX_BYTES = 64 * 1024;
    /** The deepest nesting taken (QMP's commands nest three levels). */
    static final int MAX_DEPTH = 32;

    /** What {@link #feed} found. */
    sealed interface Piece {
        /** One complete top-level object or array, for the parser. */
        record Text(String json) implements Piece {
        }

        /** Bytes outside any object, skipped. */
        record Stray(String token) implements Piece {
        }

        /** The stream cannot go on: a text too large or too deep. */
        record Fatal(String why) implements Piece {
        }
    }

    private final ByteArrayOutputStream text = new ByteArrayOutputStream();
    private int depth;
    private boolean inString;
    private boolean escaped;
    private boolean stray;
    private boolean failed;

    /** Takes {@code len} more bytes of the stream; returns the pieces they completed, in order. */
    List<Piece> feed(byte[] buf, int off, int len) {
        List<Piece> pieces = new ArrayList<>();
        for (int i = off; i < off + len && !failed; i++) {
            byte b = buf[i];
            if (depth == 0) {
                top(b, pieces);
            } else {
                inside(b, pieces);
            }
            if (text.size() > MAX_BYTES) {
                fail(pieces, "a message longer than " + MAX_BYTES + " bytes");
            }
        }
        return pieces;
    }

    private void top(byte b, List<Piece> pieces) {
        boolean space = b == ' ' || b == '\t' || b == '\r' || b == '\n';
        boolean open = b == '{' || b == '[';
        if (stray && (space || open)) {
            pieces.add(new Piece.Stray(text.toString(java.nio.charset.StandardCharsets.UTF_8)));
            text.reset();
            stray = false;
        }
        if (space) {
            return;
        }
        text.write(b);
        if (open) {
            depth = 1;
        } else {
            stray = true;
        }
    }

    private void inside(byte b, List<Piece> pieces) {
        text.write(b);
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (b == '\\') {
                escaped = true;
            } else if (b == '"') {
                inString = false;
            }
            return;
        }
        switch (b) {
            case '"' -> inString = true;
            case '{', '[' -> {
                if (++depth > MAX_DEPTH) {
                    fail(pieces, "a message nested deeper than " + MAX_DEPTH + " levels");
                }
            }
            case '}', ']' -> {
                if (--depth == 0) {
                    pieces.add(new Piece.Text(text.toString(java.nio.charset.StandardCharsets.UTF_8)));
                    text.reset();
                }
            }
            default -> {
            }
        }
    }

    private void fail(List<Piece> pieces, String why) {
        failed = true;
        text.reset();
        pieces.add(new Piece.Fatal(why));
    }
}
