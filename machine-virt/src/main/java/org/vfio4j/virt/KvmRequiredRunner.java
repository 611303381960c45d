package org.vfio4j.virt;

import java.io.PrintStream;

import jakarta.inject.Inject;

/**
 * The runner bound until the KVM back end exists (issue 6): it says plainly that the model was built
 * but that running a guest needs KVM on an arm64 host, points at {@code dumpdtb}, and fails with
 * status 1 rather than pretending to boot.
 */
public final class KvmRequiredRunner implements MachineRunner {
    @Inject
    KvmRequiredRunner() {
    }

    @Override
    public int run(AssembledMachine machine, byte[] dtb, PrintStream out, PrintStream err) {
        err.println("vfio4j virt: the machine is assembled (" + machine.devices().size() + " device(s), device tree "
                + dtb.length + " bytes), but running a guest needs KVM on an arm64 host, which this build cannot use yet; "
                + "use -machine dumpdtb=FILE to write the device tree");
        return 1;
    }
}
