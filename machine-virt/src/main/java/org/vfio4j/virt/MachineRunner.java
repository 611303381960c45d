package org.vfio4j.virt;

import java.io.PrintStream;

/**
 * Runs an assembled machine: the seam between the model (this issue) and the KVM back end
 * (bound to {@link org.vfio4j.virt.run.KvmRunner} in {@code RunnerModule}).
 */
public interface MachineRunner {
    /**
     * Runs the guest to its end.
     *
     * @return the process exit status (0 = the guest powered off)
     */
    int run(AssembledMachine machine, byte[] dtb, PrintStream out, PrintStream err);
}
