package org.vfio4j.lab;

import java.util.ArrayList;
import java.util.List;

/**
 * The lab host's default PCI topology, as data in one place.
 *
 * <p>Why: every lab test, the demo and {@code lab run} need to agree on where each emulated device
 * sits and which host driver owns it, so tests can say {@code LabDevice.NVME.bdf()} instead of
 * hard-coding addresses. The QEMU arguments that create each device live next to its address, so
 * moving a device is a one-line change. The addresses are fixed by the QEMU {@code addr=} options
 * below; the bridge's secondary bus is bus 1 because it is the only bridge in the machine.
 *
 * <p>IOMMU groups: on q35 with {@code intel-iommu} every device on the root bus ({@code pcie.0}) is
 * a root-complex integrated endpoint with a group of its own; the conventional PCI devices behind
 * the {@code pcie-pci-bridge} cannot be told apart by the IOMMU (they alias to the bridge), so
 * {@link #BRIDGE_E1000} and {@link #BRIDGE_EDU} share one group with the bridge.
 */
public enum LabDevice {
    /** QEMU's educational device alone in its IOMMU group; no host driver exists for it. */
    EDU("0000:00:04.0", "", "-device", "edu,id=edu0,addr=04.0"),
    /** An NVMe controller on a small scratch raw image ({@link #NVME_SERIAL}), driven by {@code nvme}. */
    NVME("0000:00:05.0", "nvme",
            "-drive", "file=@RUN@/nvme.img,format=raw,if=none,id=nvme0",
            "-device", "nvme,id=nvme0dev,drive=nvme0,serial=" + LabDevice.NVME_SERIAL + ",addr=05.0"),
    /** An Intel 82574L on a user-mode network that cannot reach outside the lab host. */
    E1000E("0000:00:06.0", "e1000e",
            "-netdev", "user,id=net0,restrict=on",
            "-device", "e1000e,id=e1000e0,netdev=net0,addr=06.0"),
    /** An Intel 82540EM behind the pcie-pci-bridge, sharing its group with {@link #BRIDGE_EDU}. */
    BRIDGE_E1000("0000:01:01.0", "e1000",
            "-device", "pcie-pci-bridge,id=br0,addr=07.0",
            "-netdev", "user,id=net1,restrict=on",
            "-device", "e1000,id=e1000br,netdev=net1,bus=br0,addr=01.0"),
    /** A second edu behind the pcie-pci-bridge, sharing its group with {@link #BRIDGE_E1000}. */
    BRIDGE_EDU("0000:01:02.0", "", "-device", "edu,id=edu1,bus=br0,addr=02.0");

    /** The serial number the lab gives its NVMe controller (QEMU 7.2's nvme has no model property). */
    public static final String NVME_SERIAL = "vfio4j-lab-nvme";
    /** PCI address of the pcie-pci-bridge in front of {@link #BRIDGE_E1000} and {@link #BRIDGE_EDU}. */
    public static final String BRIDGE_BDF = "0000:00:07.0";

    private final String bdf;
    private final String hostDriver;
    private final List<String> qemuArgs;

    LabDevice(String bdf, String hostDriver, String... qemuArgs) {
        this.bdf = bdf;
        this.hostDriver = hostDriver;
        this.qemuArgs = List.of(qemuArgs);
    }

    /** PCI address in the lab host, {@code "0000:00:04.0"} style. */
    public String bdf() {
        return bdf;
    }

    /** The lab host's driver for this device ({@code "nvme"}, {@code "e1000e"}, {@code "e1000"}), or "" for edu. */
    public String hostDriver() {
        return hostDriver;
    }

    /** QEMU arguments creating the whole default topology; {@code @RUN@} stands for the run directory. */
    static List<String> qemuArgs(String runDir) {
        List<String> args = new ArrayList<>();
        for (LabDevice d : values()) {
            for (String a : d.qemuArgs) {
                args.add(a.replace("@RUN@", runDir));
            }
        }
        return args;
    }
}
