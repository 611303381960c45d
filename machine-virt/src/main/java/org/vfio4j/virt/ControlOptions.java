package org.vfio4j.virt;

import java.nio.file.Path;
import java.util.List;

/**
 * How the machine is controlled once it is up: the QMP sockets it listens on and whether the vCPUs wait for a
 * {@code cont} ({@code -S}).
 *
 * @param qmp         {@code -qmp unix:PATH,server=on[,wait=off]} and {@code -chardev socket,...} +
 *                    {@code -mon chardev=ID,mode=control}, in the order given
 * @param startPaused {@code -S}: the machine is assembled and the guest loaded, but no vCPU runs until QMP's
 *                    {@code cont}
 */
public record ControlOptions(List<QmpSocket> qmp, boolean startPaused) {
    /** No QMP socket, the guest runs at once. */
    public static final ControlOptions NONE = new ControlOptions(List.of(), false);

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
