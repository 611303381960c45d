package org.vfio4j.virt.qmp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sys.Native;
import org.vfio4j.virt.run.UnixSocket;

/**
 * The file descriptors one QMP client has handed over: those that arrived with its last messages (SCM_RIGHTS), and
 * those it has named with {@code getfd}, which {@code device_add ...,fd=NAME} takes, as in QEMU.
 *
 * <p>Why per client and bounded: a descriptor is a name for one kernel object, which the client gives the VMM to
 * use; another client must not reach it, and a client that sends descriptors without end must not fill the VMM's
 * table. Arrived descriptors no command took are closed once a command has run; named ones when the client
 * disconnects; a name given again closes the descriptor it named before. A descriptor {@link #take}n is the
 * taker's.
 */
final class QmpFds implements AutoCloseable {
    /** Named descriptors one client may hold. */
    static final int MAX_NAMED = 64;

    private final List<Integer> arrived = new ArrayList<>();
    private final Map<String, Integer> named = new LinkedHashMap<>();

    /** Descriptors that came with a read. */
    synchronized void arrived(List<Integer> fds) {
        for (int fd : fds) {
            if (arrived.size() >= UnixSocket.MAX_FDS) {
                Native.close(fd);
            } else {
                arrived.add(fd);
            }
        }
        fds.clear();
    }

    /** {@code getfd}: names the descriptor that arrived last. */
    synchronized void name(String name) throws QmpError {
        if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
            throw QmpError.generic("Parameter 'fdname' expects a name not starting with a digit");
        }
        if (arrived.isEmpty()) {
            throw QmpError.generic("No file descriptor supplied via SCM_RIGHTS");
        }
        if (!named.containsKey(name) && named.size() >= MAX_NAMED) {
            throw QmpError.generic("This client already holds " + MAX_NAMED + " named file descriptors; closefd some");
        }
        int fd = arrived.removeLast();
        Integer old = named.put(name, fd);
        if (old != null) {
            Native.close(old);
        }
    }

    /** {@code closefd}. */
    synchronized void close(String name) throws QmpError {
        Integer fd = named.remove(name);
        if (fd == null) {
            throw QmpError.generic("File descriptor named '" + name + "' not found");
        }
        Native.close(fd);
    }

    /** The descriptor named {@code name}, no longer this client's: the caller owns it now. Null when none is. */
    synchronized @Nullable Integer take(String name) {
        return named.remove(name);
    }

    /** After a command: arrived descriptors nobody named are closed. */
    synchronized void commandDone() {
        UnixSocket.closeAll(arrived);
    }

    /** The client is gone: every descriptor it still holds is closed. */
    @Override
    public synchronized void close() {
        UnixSocket.closeAll(arrived);
        for (int fd : named.values()) {
            Native.close(fd);
        }
        named.clear();
    }
}
