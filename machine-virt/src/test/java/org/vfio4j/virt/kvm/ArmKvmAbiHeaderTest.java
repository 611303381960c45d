package org.vfio4j.virt.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every layout, field offset and size, ioctl number, constant and register id of {@link ArmKvmAbi} against
 * the real arm64 {@code linux/kvm.h}: a C program generated from the Java side is cross-compiled with
 * {@code aarch64-linux-gnu-gcc} (Debian gcc-aarch64-linux-gnu, headers from linux-libc-dev-arm64-cross) and
 * run under {@code qemu-aarch64-static} (qemu-user-static), so the values are arm64's, not the build host's.
 */
class ArmKvmAbiHeaderTest {
    private static final Map<String, Long> JAVA = new LinkedHashMap<>();
    private static final Map<String, Long> C = new LinkedHashMap<>();
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
        StringBuilder c = new StringBuilder("""
                #include <stdio.h>
                #include <stddef.h>
                #include <sys/ioctl.h>
                #include <linux/kvm.h>
                int main(void) {
                """);
        for (StructLayout s : ArmKvmAbi.STRUCTS) {
            String name = s.name().orElseThrow();
            JAVA.put("sizeof " + name, s.byteSize());
            c.append("printf(\"sizeof %s %zu\\n\", \"").append(name).append("\", sizeof(struct ").append(name).append("));\n");
            members(c, name, s, "", 0);
        }
        for (Field f : ArmKvmAbi.class.getFields()) {
            String n = f.getName();
            if (!Modifier.isStatic(f.getModifiers()) || !(n.startsWith("KVM_") || C_EXPR.containsKey(n))) {
                continue;
            }
            Object v = f.get(null);
            long value = v instanceof Integer i ? Integer.toUnsignedLong(i) : (Long) v;
            JAVA.put("const " + n, value);
            c.append("printf(\"const %s %llu\\n\", \"").append(n).append("\", (unsigned long long)(")
                    .append(C_EXPR.getOrDefault(n, n)).append("));\n");
        }
        c.append("return 0; }\n");
        Path src = dir.resolve("abi.c");
        Path exe = dir.resolve("abi");
        Files.writeString(src, c);
        run(List.of("aarch64-linux-gnu-gcc", "-static", "-o", exe.toString(), src.toString()),
                "cross-compile (needs apt-get install gcc-aarch64-linux-gnu)");
        for (String line : run(List.of("qemu-aarch64-static", exe.toString()), "run under qemu-aarch64-static "
                + "(needs apt-get install qemu-user-static)").split("\n")) {
            int sp = line.lastIndexOf(' ');
            C.put(line.substring(0, sp), Long.parseUnsignedLong(line.substring(sp + 1)));
        }
    }

    /** Offsets and sizes of named members; an unnamed ("") member is C's anonymous union. */
    private static void members(StringBuilder c, String struct, GroupLayout g, String prefix, long base) {
        for (MemoryLayout m : g.memberLayouts()) {
            if (m instanceof PaddingLayout) {
                continue;
            }
            String name = m.name().orElseThrow();
            long off = base + g.byteOffset(MemoryLayout.PathElement.groupElement(name));
            if (name.isEmpty() && m instanceof GroupLayout anon) {
                members(c, struct, anon, prefix, off);
                continue;
            }
            String path = prefix + name;
            JAVA.put("offsetof " + struct + "." + path, off);
            JAVA.put("sizeof " + struct + "." + path, m.byteSize());
            c.append("printf(\"offsetof %s %zu\\n\", \"").append(struct).append('.').append(path)
                    .append("\", offsetof(struct ").append(struct).append(", ").append(path).append("));\n");
            c.append("printf(\"sizeof %s %zu\\n\", \"").append(struct).append('.').append(path)
                    .append("\", sizeof(((struct ").append(struct).append(" *)0)->").append(path).append("));\n");
            if (m instanceof GroupLayout inner) {
                members(c, struct, inner, path + ".", off);
            }
        }
    }

    private static String run(List<String> cmd, String what) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(what + ": " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), what + " timed out");
        assertEquals(0, p.exitValue(), what + " failed:\n" + out);
        return out;
    }

    @Test
    void everyJavaFactAgreesWithTheArm64Header() {
        List<String> wrong = new ArrayList<>();
        JAVA.forEach((k, v) -> {
            Long cv = C.get(k);
            if (!v.equals(cv)) {
                wrong.add(k + ": Java " + v + ", C " + cv);
            }
        });
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
