package org.vfio4j.virt.run;

/**
 * How a guest run ended: the process exit status and the line the VMM prints.
 *
 * <p>Why a value: the first vCPU (or the SIGTERM hook) to know the end decides it; the others only stop.
 */
public record RunOutcome(int status, String message) {
    /** PSCI SYSTEM_OFF. */
    public static RunOutcome poweredOff() {
        return new RunOutcome(0, "virt: the guest powered off");
    }

    /** Anything that is not a clean power-off. */
    public static RunOutcome failed(String why) {
        return new RunOutcome(1, "virt: " + why);
    }

    /** A device could not be started (a user-fixable problem, like a bad option): status 2, as for options. */
    public static RunOutcome refused(String why) {
        return new RunOutcome(2, "virt: " + why);
    }

    /** SIGTERM (or another JVM shutdown) while the guest ran; 143 as a shell reports a SIGTERMed process. */
    public static RunOutcome terminated() {
        return new RunOutcome(143, "virt: terminated (SIGTERM); the guest was stopped and everything released");
    }
}
