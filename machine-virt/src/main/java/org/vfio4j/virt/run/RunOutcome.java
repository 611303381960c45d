package org.vfio4j.virt.run;

/**
 * How a guest run ended: the process exit status, the line the VMM prints, and why, in the words QMP's
 * {@code SHUTDOWN} event uses.
 *
 * <p>Why a value: the first vCPU, the SIGTERM hook or a QMP {@code quit} to know the end decides it; the others
 * only stop.
 *
 * @param reason QEMU's {@code ShutdownCause} name ({@code guest-shutdown}, {@code host-qmp-quit}, {@code host-signal},
 *               {@code guest-reset}, {@code host-qmp-system-reset}, {@code guest-panic}, {@code host-ui}, {@code host-error})
 */
public record RunOutcome(int status, String message, String reason) {
    /** An outcome the VMM itself caused (a failure of its own or a refusal). */
    public RunOutcome(int status, String message) {
        this(status, message, "host-error");
    }

    /** Whether the guest asked for this end (power-off, reset, panic) rather than the host. */
    public boolean byGuest() {
        return reason.startsWith("guest-");
    }

    /** Whether this ends only the current boot: the machine boots again unless {@code -no-reboot} was given. */
    public boolean isReset() {
        return reason.equals("guest-reset") || reason.equals("host-qmp-system-reset");
    }

    /** PSCI SYSTEM_RESET from vCPU {@code cpu}; with {@code -no-reboot} the run's end, status 1. */
    static RunOutcome guestReset(int cpu) {
        return new RunOutcome(1, "virt: vCPU " + cpu + ": the guest reset", "guest-reset");
    }

    /** QMP's {@code system_reset}. */
    public static RunOutcome systemReset() {
        return new RunOutcome(1, "virt: system_reset (QMP)", "host-qmp-system-reset");
    }

    /** PSCI SYSTEM_OFF. */
    public static RunOutcome poweredOff() {
        return new RunOutcome(0, "virt: the guest powered off", "guest-shutdown");
    }

    /** Anything that is not a clean power-off. */
    public static RunOutcome failed(String why) {
        return new RunOutcome(1, "virt: " + why);
    }

    /** A failure the guest brought about: a reset the VMM does not perform, a crash report. */
    static RunOutcome failedByGuest(String why, String reason) {
        return new RunOutcome(1, "virt: " + why, reason);
    }

    /** A device could not be started (a user-fixable problem, like a bad option): status 2, as for options. */
    public static RunOutcome refused(String why) {
        return new RunOutcome(2, "virt: " + why);
    }

    /** SIGTERM (or another JVM shutdown) while the guest ran; 143 as a shell reports a SIGTERMed process. */
    public static RunOutcome terminated() {
        return new RunOutcome(143, "virt: terminated (SIGTERM); the guest was stopped and everything released",
                "host-signal");
    }

    /** QMP's {@code quit}: an orderly end the operator asked for, status 0 as QEMU exits. */
    public static RunOutcome quit() {
        return new RunOutcome(0, "virt: quit (QMP); the guest was stopped and everything released", "host-qmp-quit");
    }

    /** Ctrl-A x on the console (QEMU's {@code host-ui} cause): status 0. */
    public static RunOutcome consoleQuit() {
        return new RunOutcome(0, "virt: quit (Ctrl-A x); the guest was stopped and everything released", "host-ui");
    }
}
