package org.vfio4j.lab;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The QEMU command line of the aarch64 lab host.
 *
 * <p>Why these options: {@code virt} with {@code virtualization=on} gives the guest EL2, so its
 * kernel starts KVM in VHE mode and the lab host has a working {@code /dev/kvm}; {@code gic-version=3}
 * is what KVM's vGICv3 needs; {@code iommu=smmuv3} puts every PCI device on {@code pcie.0} (the
 * default topology of {@link LabDevice}, at the same addresses as in the x86 lab) behind an
 * emulated SMMUv3 that VFIO programs. TCG with {@code -cpu max} because this machine cannot run
 * arm64 guests natively. The kernel arguments turn on what the platform-device work needs
 * ({@code vfio.enable_unsafe_noiommu_mode}: the virt machine puts no platform device behind an
 * IOMMU; {@code vfio_platform_base.reset_required=0}: PL031/PL061 have no reset module); both are
 * harmless for PCI. Shares: the arm64 root ({@code vfio4j-root}), the run directory, and the
 * directories {@link Lab} lists in the run directory's {@code mounts} file, each its own virtio-9p
 * device from slot 0x09 on.
 */
final class Arm64QemuCommand {
    /** A virtio-9p share: QEMU tag, host directory, writable or not. */
    record Share(String tag, Path path, boolean writable) {
    }

    static final String KERNEL_ARGS = "console=ttyAMA0 panic=-1 quiet"
            + " vfio.enable_unsafe_noiommu_mode=1 vfio_platform_base.reset_required=0";
    private static final int FIRST_SHARE_SLOT = 0x09;

    private Arm64QemuCommand() {
    }

    static List<String> build(Arm64Lab lab, Path runDir, String memory, List<String> extraDevices, List<Share> shares,
            boolean writableRoot) {
        String run = runDir.toString();
        List<String> a = new ArrayList<>(List.of(
                "setpriv", "--pdeathsig", "KILL",
                "qemu-system-aarch64", "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none",
                "-M", "virt,virtualization=on,gic-version=3,iommu=smmuv3",
                "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", memory,
                "-kernel", lab.kernel().toString(),
                "-initrd", lab.initramfs().toString(),
                "-append", KERNEL_ARGS + (writableRoot ? " vfio4j.rootrw" : ""),
                "-serial", "file:" + runDir.resolve("console.log"),
                "-fsdev", "local,id=" + QemuCommand.ROOT_TAG + ",path=" + lab.root() + ",security_model=none"
                        + (writableRoot ? "" : ",readonly=on") + ",multidevs=remap",
                "-device", "virtio-9p-pci,fsdev=" + QemuCommand.ROOT_TAG + ",mount_tag=" + QemuCommand.ROOT_TAG
                        + ",addr=02.0",
                "-fsdev", "local,id=" + QemuCommand.RUN_TAG + ",path=" + run + ",security_model=none",
                "-device", "virtio-9p-pci,fsdev=" + QemuCommand.RUN_TAG + ",mount_tag=" + QemuCommand.RUN_TAG
                        + ",addr=03.0",
                "-device", "virtio-serial-pci,id=vser0,addr=08.0",
                "-chardev", "stdio,id=vfio4j-out,signal=off",
                "-device", "virtserialport,chardev=vfio4j-out,name=vfio4j.out,nr=1"));
        int slot = FIRST_SHARE_SLOT;
        for (Share s : shares) {
            a.add("-fsdev");
            a.add("local,id=" + s.tag() + ",path=" + s.path() + ",security_model=none"
                    + (s.writable() ? "" : ",readonly=on") + ",multidevs=remap");
            a.add("-device");
            a.add("virtio-9p-pci,fsdev=" + s.tag() + ",mount_tag=" + s.tag() + ",addr=" + String.format("%02x.0", slot++));
        }
        a.addAll(LabDevice.qemuArgs(run));
        for (String d : extraDevices) {
            a.add("-device");
            a.add(d);
        }
        return a;
    }
}
