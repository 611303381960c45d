package org.vfio4j.virt;

import java.nio.file.Path;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;

/**
 * How the machine is controlled and found once it is up: the QMP sockets it listens on, whether the vCPUs wait
 * for a {@code cont} ({@code -S}), its name and its pid file.
 *
 * @param qmp         {@code -qmp unix:PATH,server=on[,wait=off]} and {@code -chardev socket,...} +
 *                    {@code -mon chardev=ID,mode=control}, in the order given
 * @param startPaused {@code -S}: the machine is assembled and the guest loaded, but no vCPU runs until QMP's
 *                    {@code cont}
 * @param name        {@code -name NAME}: what QMP's {@code query-name} answers and the VMM's reports start with
 * @param pidFile     {@code -pidfile FILE}: where the VMM's process id is kept while it runs
 * @param noReboot    {@code -no-reboot}: a reset (the guest's or QMP's) ends the run instead of booting again
 */
public record ControlOptions(List<QmpSocket> qmp, boolean startPaused, @Nullable String name,
        @Nullable Path pidFile, boolean noReboot) {
    /** No QMP socket, the guest runs at once, no name, no pid file, a reset boots again. */
    public static final ControlOptions NONE = new ControlOptions(List.of(), false, null, null, false);

    public ControlOptions {
        qmp = List.copyOf(qmp);
    }

    /**
     * One listening QMP socket.
     *
     * @param waitForClient QEMU's {@code wait=on} (its default): the VMM waits for the first client before it goes on
     */
    public record QmpSocket(Path path, boolean waitForClient) {
    }
}
