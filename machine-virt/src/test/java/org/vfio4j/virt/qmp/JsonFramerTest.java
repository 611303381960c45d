package org.vfio4j.virt.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Framing a QMP stream by its structure: bare objects, split reads, strings, strays and the bounds. */
class JsonFramerTest {
    private static List<JsonFramer.Piece> feed(JsonFramer f, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return f.feed(b, 0, b.length);
    }

    private static List<String> texts(List<JsonFramer.Piece> pieces) {
        List<String> out = new ArrayList<>();
        for (JsonFramer.Piece p : pieces) {
            out.add(((JsonFramer.Piece.Text) p).json());
        }
        return out;
    }

    @Test
    void objectsWithoutNewlinesAreCutWhereTheyClose() {
        JsonFramer f = new JsonFramer();
        assertEquals(List.of("{\"execute\":\"a\"}", "{\"execute\":\"b\",\"arguments\":{\"x\":[1,{}]}}"),
                texts(feed(f, "{\"execute\":\"a\"}{\"execute\":\"b\",\"arguments\":{\"x\":[1,{}]}}\r\n")));
    }

    @Test
    void aTextSplitAcrossReadsByteByByteIsOneText() {
        JsonFramer f = new JsonFramer();
        String msg = "{\"execute\":\"query-status\",\"id\":\"é\"}";
        List<JsonFramer.Piece> all = new ArrayList<>();
        byte[] b = msg.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            all.addAll(f.feed(b, i, 1));
        }
        assertEquals(List.of(msg), texts(all));
    }

    @Test
    void bracesInsideStringsAndEscapedQuotesDoNotEndTheText() {
        JsonFramer f = new JsonFramer();
        String msg = "{\"id\":\"}{\\\"}]\",\"execute\":\"x\"}";
        assertEquals(List.of(msg), texts(feed(f, msg + "\n")));
    }

    @Test
    void aStrayTokenIsReportedAndTheNextObjectStillFramed() {
        JsonFramer f = new JsonFramer();
        List<JsonFramer.Piece> p = feed(f, "hello {\"execute\":\"x\"}");
        assertEquals(2, p.size(), p.toString());
        assertEquals("hello", assertInstanceOf(JsonFramer.Piece.Stray.class, p.get(0)).token());
        assertEquals("{\"execute\":\"x\"}", assertInstanceOf(JsonFramer.Piece.Text.class, p.get(1)).json());
    }

    @Test
    void anOversizedTextIsFatalAndNothingMoreIsFramed() {
        JsonFramer f = new JsonFramer();
        List<JsonFramer.Piece> p = feed(f, "{\"a\":\"" + "x".repeat(JsonFramer.MAX_BYTES) + "\"}{\"execute\":\"y\"}");
        assertEquals(1, p.size(), "nothing after the fatal piece");
        assertTrue(assertInstanceOf(JsonFramer.Piece.Fatal.class, p.get(0)).why().contains("longer than"));
        assertEquals(List.of(), feed(f, "{}"), "a failed framer takes nothing more");
    }

    @Test
    void deepNestingIsFatal() {
        JsonFramer f = new JsonFramer();
        List<JsonFramer.Piece> p = feed(f, "[".repeat(JsonFramer.MAX_DEPTH + 1));
        assertTrue(assertInstanceOf(JsonFramer.Piece.Fatal.class, p.get(0)).why().contains("nested deeper"));
        assertEquals(List.of("[".repeat(JsonFramer.MAX_DEPTH) + "]".repeat(JsonFramer.MAX_DEPTH)),
                texts(feed(new JsonFramer(), "[".repeat(JsonFramer.MAX_DEPTH) + "]".repeat(JsonFramer.MAX_DEPTH))),
                "the deepest allowed nesting is framed");
    }
}
