package org.vfio4j.virt.run;

/**
 * QEMU's console escape on the VMM's stdin: Ctrl-A, then a key. {@code x} quits the VMM, {@code h} or
 * {@code ?} lists the keys, {@code c} is the monitor's (machine-virt has none on the console: QMP is on its
 * sockets), Ctrl-A again sends one Ctrl-A to the guest; any other key after Ctrl-A is dropped, as QEMU drops it.
 *
 * <p>Why a separate state machine: it is the one part of the console that decides something, and it is tested
 * byte by byte without a terminal.
 */
final class ConsoleEscape {
    /** What to do with a byte read from stdin. */
    enum Action {
        /** Give the byte to the guest. */
        SEND,
        /** Nothing: the byte was part of an escape. */
        SWALLOW,
        /** Ctrl-A x: end the VMM. */
        QUIT,
        /** Ctrl-A h: print {@link #HELP}. */
        HELP,
        /** Ctrl-A c: the monitor, which this console does not have. */
        MONITOR
    }

    /** The escape key, Ctrl-A. */
    static final int ESCAPE = 0x01;

    static final String HELP = """
            C-a h    print this help
            C-a x    exit the VMM (the guest is stopped and its devices released)
            C-a c    the monitor: machine-virt has none on the console; use -qmp
            C-a C-a  sends C-a to the guest
            """;

    private boolean escaped;

    /** The action for byte {@code b} (0-255); {@link Action#SEND} means send {@code b} itself. */
    Action next(int b) {
        if (!escaped) {
            if (b == ESCAPE) {
                escaped = true;
                return Action.SWALLOW;
            }
            return Action.SEND;
        }
        escaped = false;
        return switch (b) {
            case ESCAPE -> Action.SEND;
            case 'x' -> Action.QUIT;
            case 'h', '?' -> Action.HELP;
            case 'c' -> Action.MONITOR;
            default -> Action.SWALLOW;
        };
    }
}
