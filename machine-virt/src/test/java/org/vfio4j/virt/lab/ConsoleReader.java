package org.vfio4j.virt.lab;

import java.io.IOException;
import java.io.InputStream;

import org.eclipse.jdt.annotation.Nullable;

/**
 * Reads a child VMM's merged output for the lab tests that run the VMM as a process (SIGTERM, kill -9,
 * refusals that must leave no process): everything read is kept for the failure message.
 */
final class ConsoleReader {
    private ConsoleReader() {
    }

    /**
     * Appends what {@code in} gives to {@code seen} until {@code marker} has appeared in what this call read (the
     * end of {@code seen}), or to the end when null.
     */
    static void readUntil(InputStream in, StringBuilder seen, @Nullable String marker) throws IOException {
        int c;
        while ((c = in.read()) >= 0) {
            seen.append((char) c);
            if (marker != null && c == marker.charAt(marker.length() - 1)
                    && seen.indexOf(marker, Math.max(0, seen.length() - marker.length())) >= 0) {
                return;
            }
        }
    }
}
