package org.vfio4j.lab;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The outcome of one test or container run inside the lab host, as carried back to the build host.
 *
 * <p>Why the throwable travels serialized: the build host then rethrows the very exception the
 * test raised (an {@code AssertionFailedError} keeps its expected/actual values for IDE diffs).
 * When it cannot be serialized or deserialized, its text (with the in-lab stack trace) is used.
 *
 * @param uniqueId    the JUnit unique id, identical on both hosts for the same test
 * @param status      what happened
 * @param reason      the skip or abort reason, or the failure's text with its stack trace
 * @param throwable   the serialized throwable, if any and serializable
 * @param output      what the test printed on System.out/err in the lab host
 */
record LabOutcome(String uniqueId, Status status, String reason, byte @Nullable [] throwable, String output)
        implements Serializable {

    /** JUnit's outcomes, plus SKIPPED for tests the lab host's JUnit did not run. */
    enum Status { SUCCESSFUL, FAILED, ABORTED, SKIPPED }

    static LabOutcome of(String uniqueId, Status status, @Nullable Throwable t, String reason, String output) {
        if (t == null) {
            return new LabOutcome(uniqueId, status, reason, null, output);
        }
        StringWriter text = new StringWriter();
        t.printStackTrace(new PrintWriter(text));
        byte[] bytes;
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (ObjectOutputStream o = new ObjectOutputStream(b)) {
                o.writeObject(t);
            }
            bytes = b.toByteArray();
        } catch (IOException notSerializable) {
            bytes = null;
        }
        return new LabOutcome(uniqueId, status, text.toString(), bytes, output);
    }

    /** The in-lab throwable, or an AssertionError with its text when it cannot be rebuilt here. */
    Throwable rebuild() {
        byte[] b = throwable;
        if (b != null) {
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
                return (Throwable) in.readObject();
            } catch (IOException | ClassNotFoundException | ClassCastException e) {
                // fall back to the text
            }
        }
        return new AssertionError("in the lab host: " + reason);
    }

    static void writeAll(List<LabOutcome> outcomes, OutputStream out) throws IOException {
        try (ObjectOutputStream o = new ObjectOutputStream(out)) {
            o.writeObject(new ArrayList<>(outcomes));
        }
    }

    @SuppressWarnings("unchecked")
    static List<LabOutcome> readAll(InputStream in) throws IOException {
        try (ObjectInputStream o = new ObjectInputStream(in)) {
            return (List<LabOutcome>) o.readObject();
        } catch (ClassNotFoundException | ClassCastException e) {
            throw new IOException("lab results are not a list of outcomes: " + e, e);
        }
    }
}
