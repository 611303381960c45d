package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The aarch64 lab seen from the build host through {@link Lab#run}: exit status, EL2 KVM in VHE
 * mode, the SMMUv3 grouping the nvme for vfio-pci, the arm64 JRE, the launcher in the lab.
 */
@Tag("lab")
@Tag("aarch64")
class Arm64LabRunLabTest {
    private static LabResult run(String script) {
        return Lab.aarch64().withTimeout(java.time.Duration.ofSeconds(600)).run(List.of("sh", "-c", script));
    }

    @Test
    void exitStatusIsTheCommands() {
        LabResult r = run("exit 7");
        assertEquals(7, r.status(), r.output());
    }

    @Test
    void kvmInVheModeSmmuV3AndNvmeInAnIommuGroupForVfioPci() {
        String nvme = LabDevice.NVME.bdf();
        LabResult r = run("set -e; uname -m; test -c /dev/kvm && echo kvm-dev; dmesg | grep -q 'VHE mode initialized"
                + " successfully' && echo vhe; test -c /dev/vfio/vfio && echo vfio-dev; dmesg | grep -q arm-smmu-v3"
                + " && echo smmuv3; d=/sys/bus/pci/devices/" + nvme + "; echo vfio-pci > $d/driver_override;"
                + " echo " + nvme + " > $d/driver/unbind; echo " + nvme + " > /sys/bus/pci/drivers_probe;"
                + " g=$(basename $(readlink $d/iommu_group)); echo driver=$(basename $(readlink $d/driver));"
                + " test -c /dev/vfio/$g && echo group=$g; basename $(readlink /sys/kernel/iommu_groups/$g/devices/"
                + nvme + "/iommu)");
        String out = r.output();
        assertEquals(0, r.status(), out);
        assertTrue(out.startsWith("aarch64\n"), out);
        for (String want : List.of("kvm-dev", "vhe", "vfio-dev", "smmuv3", "driver=vfio-pci")) {
            assertTrue(out.contains(want), "missing '" + want + "' in:\n" + out);
        }
        assertTrue(out.matches("(?s).*group=[0-9]+\n.*"), out);
        // the IOMMU device the nvme's group hangs off is the virt machine's SMMUv3 (QEMU: 0x09050000)
        assertTrue(out.strip().endsWith("smmu3.0x0000000009050000"), "the nvme's IOMMU is not the SMMUv3:\n" + out);
    }

    @Test
    void arm64JavaAndTheLauncherRunThere() {
        LabResult r = run("java -XshowSettings:properties -version 2>&1 | grep -E 'os.arch|java.specification.version';"
                + " cd " + Arm64Shares.repoRoot() + " && VFIO4J_NO_BUILD=1 ./vfio4j lab run --arch nonsense -- true;"
                + " echo launcher=$?");
        assertEquals(0, r.status(), r.output());
        assertTrue(r.output().contains("os.arch = aarch64"), r.output());
        assertTrue(r.output().contains("java.specification.version = 25"), r.output());
        // LabMain ran on the arm64 JRE and rejected the option: exit 2 with its message
        assertTrue(r.output().contains("--arch wants x86_64 or aarch64, not 'nonsense'"), r.output());
        assertTrue(r.output().contains("launcher=2"), r.output());
    }

    /**
     * The lab root has a JRE and no JDK, and sees the build host's built checkout: the commands that only run what is
     * built work there as they are, and one that would build says it needs a JDK.
     */
    @Test
    void theLauncherRunsABuiltCheckoutOnAJreAndRefusesToBuildWithoutAJdk() {
        LabResult r = run("command -v javac || echo no-javac; cd " + Arm64Shares.repoRoot() + " && unset VFIO4J_NO_BUILD;"
                + " ./vfio4j virt -version; echo virt=$?; ./vfio4j build 2>&1; echo build=$?");
        assertEquals(0, r.status(), r.output());
        assertTrue(r.output().contains("no-javac"), "the lab root has a JDK; this test needs one without\n" + r.output());
        assertTrue(r.output().contains("vfio4j machine-virt"), r.output());
        assertTrue(r.output().contains("virt=0"), r.output());
        assertTrue(r.output().contains("no JDK 25 or newer found"), r.output());
        assertTrue(r.output().contains("build=2"), r.output());
    }
}
