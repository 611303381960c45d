package org.vfio4j.lab;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The QEMU command line of the x86 lab host.
 *
 * <p>Why these options: TCG with {@code -cpu max} because this machine's /dev/kvm cannot run guests
 * (and TCG emulates SVM, so kvm-amd loads in the lab host); q35 with {@code intel-iommu} and
 * {@code intremap=on,caching-mode=on} so the lab host has a real DMA-remapping IOMMU that VFIO can
 * program (QEMU 7.2 needs {@code kernel-irqchip=split} for intremap only under KVM, not under TCG);
 * {@code -nodefaults} so no default NIC or VGA takes PCI slots; the kernel console on the emulated
 * UART goes to {@code console.log} while the command's output travels over the {@code vfio4j.out}
 * virtio-serial port to QEMU's stdout, keeping the two apart; the build host's {@code /} and the run
 * directory are shared over virtio-9p. {@code no_timer_check}: on a loaded build host the emulated
 * timer can miss the kernel's early IO-APIC timer check, which with interrupt remapping on is a
 * panic ("timer doesn't work through Interrupt-remapped IO-APIC"); seen in this lab, so skipped. QEMU runs under {@code setpriv --pdeathsig KILL} so it dies
 * with the JVM that started it even when that JVM is killed outright.
 */
final class QemuCommand {
    static final String ROOT_TAG = "vfio4j-root";
    static final String RUN_TAG = "vfio4j-run";
    /** The run directory as the command sees it inside the lab host. */
    static final String GUEST_RUN_DIR = "/run/vfio4j";

    private QemuCommand() {
    }

    /**
     * vCPUs of the lab host: {@code $VFIO4J_LAB_CPUS} (1-8), default 1. Why one: with two vCPUs under
     * MTTCG the lab host occasionally died at boot with "Oops: int3" at a just-patched static-key
     * site (cross-modifying code racing TCG's translation cache), and on a loaded 2-core build host
     * two vCPU threads were slower, not faster: boot 9-15 s vs 6-8 s, {@code java -version} 6-22 s
     * vs 1.4-2 s.
     */
    static String cpus() {
        String env = System.getenv("VFIO4J_LAB_CPUS");
        return env != null && env.matches("[1-8]") ? env : "1";
    }

    static List<String> build(LabCache.Kernel kernel, Path initramfs, Path runDir, String memory, List<String> extraDevices) {
        String run = runDir.toString();
        List<String> a = new ArrayList<>(List.of(
                "setpriv", "--pdeathsig", "KILL",
                "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none",
                "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", cpus(), "-m", memory, "-M", "q35",
                "-device", "intel-iommu,intremap=on,caching-mode=on",
                "-kernel", kernel.vmlinuz().toString(),
                "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 intel_iommu=on panic=-1 no_timer_check quiet",
                "-serial", "file:" + runDir.resolve("console.log"),
                "-fsdev", "local,id=" + ROOT_TAG + ",path=/,security_model=none,readonly=on,multidevs=remap",
                "-device", "virtio-9p-pci,fsdev=" + ROOT_TAG + ",mount_tag=" + ROOT_TAG + ",addr=02.0",
                "-fsdev", "local,id=" + RUN_TAG + ",path=" + run + ",security_model=none",
                "-device", "virtio-9p-pci,fsdev=" + RUN_TAG + ",mount_tag=" + RUN_TAG + ",addr=03.0",
                "-device", "virtio-serial-pci,id=vser0,addr=08.0",
                "-chardev", "stdio,id=vfio4j-out,signal=off",
                "-device", "virtserialport,chardev=vfio4j-out,name=vfio4j.out,nr=1"));
        a.addAll(LabDevice.qemuArgs(run));
        for (String d : extraDevices) {
            a.add("-device");
            a.add(d);
        }
        return a;
    }
}
