package org.vfio4j.virt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.eclipse.jdt.annotation.Nullable;

/**
 * QEMU's {@code -pidfile FILE}: the VMM's process id in a file that a manager (libvirt, a systemd unit, a
 * script) reads to signal or watch the VMM, held under a lock for as long as the VMM runs and removed at exit.
 *
 * <p>Why a lock and not just a file: the lock is how a second VMM given the same file finds out that the first
 * one is alive (it is told, and exits 2), while a file left by a VMM that was killed (no lock on it any more) is
 * simply taken over. Why symlinks and other users' files are refused: a VMM often runs with rights its manager
 * lacks, and writing through a link someone else planted would let them choose which file gets truncated.
 *
 * {@snippet :
 * try (PidFile pid = PidFile.claim(Path.of("/run/vm1.pid"))) {
 *     // run the machine; the file holds this process's id until here
 * }
 * }
 */
public final class PidFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private PidFile(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates or takes over {@code path}, locks it and writes this process's id and a newline into it.
     *
     * @throws UsageException when the path is a link, another user's file, locked by a live VMM or cannot be
     *     written; the message names it and says what to do
     */
    public static PidFile claim(Path path) throws UsageException {
        Path abs = path.toAbsolutePath();
        if (Files.isSymbolicLink(abs)) {
            throw new UsageException("-pidfile " + abs + ": is a symbolic link; give the file's own path");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(abs, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-r--r--")));
        } catch (IOException e) {
            throw unwritable(abs, e);
        }
        try {
            int owner = (Integer) Files.getAttribute(abs, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (owner != self || !Files.isRegularFile(abs, LinkOption.NOFOLLOW_LINKS)) {
                throw new UsageException("-pidfile " + abs + ": is not a regular file of this user; remove it or "
                        + "give another path");
            }
            @Nullable FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null;   // this JVM holds it already
            }
            if (lock == null) {
                throw new UsageException("-pidfile " + abs + ": is locked by a running process (another VMM "
                        + "uses it); stop that VMM or give another path");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
            return new PidFile(abs, ch, lock);
        } catch (IOException e) {
            closeQuietly(ch);
            throw unwritable(abs, e);
        } catch (UsageException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // the error that brought us here is what the user is told
        }
    }

    private static UsageException unwritable(Path abs, IOException e) {
        return new UsageException("-pidfile " + abs + ": cannot be written: " + e.getMessage()
                + " (give a path in a directory you may write)");
    }

    /** Where the file is. */
    public Path path() {
        return path;
    }

    /** Removes the file, then releases the lock: a manager never reads the id of a VMM that has gone. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a directory made read-only under us: the lock still goes, so the next VMM takes the file over
        }
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // closing releases the lock in any case
        }
    }
}
