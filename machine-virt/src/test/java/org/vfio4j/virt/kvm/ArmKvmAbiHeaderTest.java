package org.vfio4j.virt.kvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.sys.HeaderCheck;

/**
 * Every layout, field offset and size, ioctl number, constant and register id of {@link ArmKvmAbi} against
 * the real arm64 {@code linux/kvm.h}: a C program generated from the Java side is cross-compiled with
 * {@code aarch64-linux-gnu-gcc} (Debian gcc-aarch64-linux-gnu, headers from linux-libc-dev-arm64-cross) and
 * run under {@code qemu-aarch64-static} (qemu-user-static), so the values are arm64's, not the build host's.
 */
class ArmKvmAbiHeaderTest {
    private static final HeaderCheck CHECK = new HeaderCheck("linux/kvm.h");
    private static final Map<String, Long> JAVA = CHECK.java;
    private static final Map<String, Long> C = CHECK.c;
    /** Register ids and PSTATE, written with the header's own macros. */
    private static final Map<String, String> C_EXPR = Map.of(
            "REG_X0", "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.regs[0])",
            "REG_X1", "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.regs[1])",
            "REG_X2", "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.regs[2])",
            "REG_X3", "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.regs[3])",
            "REG_SP", "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.sp)",
            "REG_PC", "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.pc)",
            "REG_PSTATE", "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.pstate)",
            "PSTATE_EL1H_DAIF_MASKED", "PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT",
            "KVM_SET_SIGNAL_MASK", "KVM_SET_SIGNAL_MASK");

    @BeforeAll
    static void crossCompileAndRun(@TempDir Path dir) throws Exception {
        ArmKvmAbi.STRUCTS.forEach(CHECK::struct);
        for (Field f : ArmKvmAbi.class.getFields()) {
            String n = f.getName();
            if (!Modifier.isStatic(f.getModifiers()) || !(n.startsWith("KVM_") || C_EXPR.containsKey(n))) {
                continue;
            }
            CHECK.constant(n, f.get(null), C_EXPR.getOrDefault(n, n));
        }
        CHECK.compileAndRun(dir, List.of("aarch64-linux-gnu-gcc", "-static"),
                "cross-compile (needs apt-get install gcc-aarch64-linux-gnu)", List.of("qemu-aarch64-static"),
                "run under qemu-aarch64-static (needs apt-get install qemu-user-static)", 120);
    }

    @Test
    void everyJavaFactAgreesWithTheArm64Header() {
        List<String> wrong = CHECK.disagreements();
        assertTrue(wrong.isEmpty(), "layouts disagree with arm64 linux/kvm.h:\n" + String.join("\n", wrong));
    }

    @Test
    void theCheckCoversWhatMatters() {
        for (String k : List.of("sizeof kvm_run", "offsetof kvm_run.mmio.data", "offsetof kvm_run.system_event.data",
                "offsetof kvm_irq_routing_entry.u.msi.devid", "const KVM_ARM_VCPU_INIT", "const REG_PC",
                "const KVM_SET_GSI_ROUTING", "const KVM_RUN", "const PSTATE_EL1H_DAIF_MASKED", "sizeof kvm_irqfd")) {
            assertTrue(C.containsKey(k) && JAVA.containsKey(k), "not compared: " + k);
        }
        assertTrue(JAVA.size() > 120, "only " + JAVA.size() + " facts compared");
    }
}
