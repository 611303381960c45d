package org.vfio4j.virt.board;

import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.virt.MachineConfig;

import jakarta.inject.Inject;

/**
 * The CPUs and how they are started: {@code /cpus} with one {@code cpu@N} per vCPU (MPIDR affinity 0
 * = N, as KVM assigns for up to 16 CPUs per cluster… and as QEMU's virt numbers them), a flat
 * {@code cpu-map}, and {@code /psci} because secondary CPUs are brought up with PSCI CPU_ON through
 * HVC, which KVM implements (PSCI 1.0 with the 0.2 function IDs).
 *
 * <p>Why "arm,arm-v8": under KVM the guest runs on whatever core the host has; QEMU says the same for
 * {@code -cpu host} and {@code -cpu max}.
 */
public final class Cpus {
    /** PSCI 0.2 function IDs (SMC32 for CPU_OFF, SMC64 for the rest), as the PSCI spec fixes them. */
    public static final int PSCI_CPU_SUSPEND = 0xc400_0001, PSCI_CPU_OFF = 0x8400_0002,
            PSCI_CPU_ON = 0xc400_0003, PSCI_MIGRATE = 0xc400_0005;

    private final int count;

    @Inject
    Cpus(MachineConfig config) {
        this.count = config.cpus();
    }

    /** Number of vCPUs. */
    public int count() {
        return count;
    }

    /** The MPIDR affinity bits (Aff1.Aff0) of vCPU {@code index}. */
    public static int mpidr(int index) {
        return ((index / 16) << 8) | (index % 16);
    }

    /** {@code /cpus}. */
    public DtNode cpusNode() {
        List<DtNode> cpus = new ArrayList<>();
        DtNode.Builder cluster = DtNode.builder("cluster0");
        for (int i = 0; i < count; i++) {
            cluster.child(DtNode.builder("core" + i).property(DtProperty.phandle("cpu", "cpu" + i)).build());
            int mpidr = mpidr(i);
            cpus.add(DtNode.builder("cpu").unitAddress(mpidr).label("cpu" + i)
                    .property(DtProperty.u32("reg", mpidr))
                    .property(DtProperty.strings("enable-method", "psci"))
                    .property(DtProperty.strings("compatible", "arm,arm-v8"))
                    .property(DtProperty.strings("device_type", "cpu"))
                    .build());
        }
        DtNode cpuMap = DtNode.builder("cpu-map").child(DtNode.builder("socket0").child(cluster.build()).build()).build();
        return DtNode.builder("cpus")
                .property(DtProperty.u32("#size-cells", 0))
                .property(DtProperty.u32("#address-cells", 1))
                .child(cpuMap)
                .children(cpus)
                .build();
    }

    /** {@code /psci}. */
    public DtNode psciNode() {
        return DtNode.builder("psci")
                .property(DtProperty.u32("migrate", PSCI_MIGRATE))
                .property(DtProperty.u32("cpu_on", PSCI_CPU_ON))
                .property(DtProperty.u32("cpu_off", PSCI_CPU_OFF))
                .property(DtProperty.u32("cpu_suspend", PSCI_CPU_SUSPEND))
                .property(DtProperty.strings("method", "hvc"))
                .property(DtProperty.strings("compatible", "arm,psci-1.0", "arm,psci-0.2", "arm,psci"))
                .build();
    }

    /**
     * {@code /timer}: the architected generic timer's four PPIs (secure physical 13, non-secure
     * physical 14, virtual 11, hypervisor 10), level-high; {@code always-on} because the timer keeps
     * counting in idle states.
     */
    public DtNode timerNode() {
        int l = Trigger.LEVEL_HIGH.dtFlags();
        int ppi = Gicv3.PPI;
        return DtNode.builder("timer")
                .property(DtProperty.u32("interrupts", ppi, 13, l, ppi, 14, l, ppi, 11, l, ppi, 10, l))
                .property(DtProperty.empty("always-on"))
                .property(DtProperty.strings("compatible", "arm,armv8-timer", "arm,armv7-timer"))
                .build();
    }
}
