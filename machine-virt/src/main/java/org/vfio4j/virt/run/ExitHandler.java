package org.vfio4j.virt.run;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.emu.MmioBus;
import org.vfio4j.virt.kvm.ArmKvmAbi;
import org.vfio4j.virt.kvm.VcpuExit;

/**
 * What the VMM does with each vCPU exit: MMIO goes to the bus (a read is answered in {@code kvm_run}); a
 * system event or a KVM failure ends the run with its outcome; an interruption is a stop request.
 *
 * <p>Why apart from the thread: the decision is pure (exit in, outcome out) and unit-tested on synthetic
 * {@code kvm_run} buffers; {@link VcpuThread} only loops.
 */
public final class ExitHandler {
    private final MmioBus bus;

    public ExitHandler(MmioBus bus) {
        this.bus = bus;
    }

    /**
     * Handles {@code exit} of vCPU {@code cpu}.
     *
     * @return null to keep running, otherwise how the run ends
     */
    public @Nullable RunOutcome handle(int cpu, VcpuExit exit) {
        return switch (exit) {
            case VcpuExit.Mmio m -> {
                if (m.isWrite()) {
                    bus.write(m.address(), m.length(), m.data());
                } else {
                    m.complete(bus.read(m.address(), m.length()));
                }
                yield null;
            }
            case VcpuExit.SystemEvent e -> switch (e.type()) {
                case ArmKvmAbi.KVM_SYSTEM_EVENT_SHUTDOWN -> RunOutcome.poweredOff();
                case ArmKvmAbi.KVM_SYSTEM_EVENT_RESET -> RunOutcome.guestReset(cpu);
                case ArmKvmAbi.KVM_SYSTEM_EVENT_CRASH -> RunOutcome.failedByGuest("vCPU " + cpu + ": " + e
                        + "; see the guest's console output above", "guest-panic");
                default -> RunOutcome.failed("vCPU " + cpu + ": " + e);
            };
            case VcpuExit.FailEntry f -> RunOutcome.failed("vCPU " + cpu + ": " + f);
            case VcpuExit.InternalError i -> RunOutcome.failed("vCPU " + cpu + ": " + i);
            case VcpuExit.Interrupted i -> null;
            case VcpuExit.Unknown u -> RunOutcome.failed("vCPU " + cpu + ": " + u);
        };
    }
}
