package org.vfio4j.lab;

/**
 * What a command run in the lab host left behind: its exit status and its combined stdout/stderr.
 *
 * <p>Why a record: tests assert on both parts, and the kernel's console noise is deliberately not
 * in {@code output} (it goes to a separate log shown only when the lab itself fails).
 *
 * @param status the command's exit status (128 + n when killed by signal n)
 * @param output everything the command wrote to stdout and stderr, in order
 */
public record LabResult(int status, String output) {
    /** True when the command exited with status 0. */
    public boolean ok() {
        return status == 0;
    }
}
