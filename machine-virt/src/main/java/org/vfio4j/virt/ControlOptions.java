package org.vfio4j.virt;

import java.nio.file.Path;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sandbox.Sandbox;

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
 * @param sandbox     {@code -sandbox}: as given, or {@link Sandboxing#DEFAULT}
 * @param serial      {@code -serial}: where the UART's bytes go and come from, {@link Serial#STDIO} by default
 */
public record ControlOptions(List<QmpSocket> qmp, boolean startPaused, @Nullable String name,
        @Nullable Path pidFile, boolean noReboot, Sandboxing sandbox, Serial serial) {
    /** No QMP socket, the guest runs at once, no name, no pid file, a reset boots again, the default sandbox. */
    public static final ControlOptions NONE = new ControlOptions(List.of(), false, null, null, false,
            Sandboxing.DEFAULT, Serial.STDIO);

    public ControlOptions {
        qmp = List.copyOf(qmp);
    }

    /**
     * {@code -sandbox on|off[,x-log-denied=on]}: whether the VMM puts itself in vfio4j-common's seccomp sandbox
     * before the guest runs. Not given, it is on for a VMM that is its own process (the launcher's) and off for
     * one run inside another program's JVM ({@code Main.run}), whose process the filter would bind for good.
     */
    public enum Sandboxing {
        /** Not given: on for the launcher's process, off inside another program. */
        DEFAULT,
        /** {@code -sandbox on}: calls off the allowlist fail and end the VMM. */
        ON,
        /** {@code -sandbox on,x-log-denied=on}: calls off the allowlist run and are reported once each. */
        LOG,
        /** {@code -sandbox off}. */
        OFF;

        /** Whether it was asked for, so that a host without seccomp is an error and not a warning. */
        public boolean required() {
            return this == ON || this == LOG;
        }

        /** Whether a sandbox goes in, for a VMM that is ({@code ownProcess}) or is not its process's only job. */
        public boolean installs(boolean ownProcess) {
            return this == ON || this == LOG || (this == DEFAULT && ownProcess);
        }

        /** The sandbox's mode for a VMM that is ({@code ownProcess}) or is not its process's only job; null for none. */
        public Sandbox.@Nullable Mode mode(boolean ownProcess) {
            return !installs(ownProcess) ? null : this == LOG ? Sandbox.Mode.LOG : Sandbox.Mode.ENFORCE;
        }
    }

    /**
     * {@code -serial}: the UART's backend, as QEMU spells them: {@code stdio} (the console: raw on a terminal, with
     * Ctrl-A escapes), {@code file:PATH} (output only), {@code pty} (a pseudo-terminal whose name the VMM prints),
     * {@code unix:PATH,server=on[,wait=off]} (a listening socket, one client at a time), {@code null} (discarded).
     *
     * @param path          the file or socket, for {@code FILE} and {@code UNIX}
     * @param waitForClient for {@code UNIX}: QEMU's {@code wait=on} (its default), the guest starts once a client is there
     */
    public record Serial(Kind kind, @Nullable Path path, boolean waitForClient) {
        /** The backends. */
        public enum Kind {
            STDIO, FILE, PTY, UNIX, NULL
        }

        /** The console on stdin and stdout. */
        public static final Serial STDIO = new Serial(Kind.STDIO, null, false);
    }

    /**
     * One listening QMP socket.
     *
     * @param waitForClient QEMU's {@code wait=on} (its default): the VMM waits for the first client before it goes on
     */
    public record QmpSocket(Path path, boolean waitForClient) {
    }
}
