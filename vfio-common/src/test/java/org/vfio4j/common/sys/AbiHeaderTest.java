package org.vfio4j.common.sys;

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
 * Checks every Java layout, field offset, field size, ioctl number and flag in {@link VfioAbi} and
 * {@link KvmAbi} against the build host's own {@code linux/vfio.h} and {@code linux/kvm.h}: a C program
 * generated from the Java side is compiled with gcc and prints what the C compiler thinks.
 */
class AbiHeaderTest {
    private static final Map<String, Long> JAVA = new LinkedHashMap<>();
    private static final Map<String, Long> C = new LinkedHashMap<>();

    @BeforeAll
    static void compileAndRun(@TempDir Path dir) throws Exception {
        StringBuilder c = new StringBuilder("""
                #include <stdio.h>
                #include <stddef.h>
                #include <sys/ioctl.h>
                #include <linux/vfio.h>
                #include <linux/kvm.h>
                int main(void) {
                """);
        List<StructLayout> structs = new ArrayList<>(VfioAbi.STRUCTS);
        structs.addAll(KvmAbi.STRUCTS);
        for (StructLayout s : structs) {
            String name = s.name().orElseThrow();
            JAVA.put("sizeof " + name, s.byteSize());
            c.append("printf(\"sizeof %s %zu\\n\", \"").append(name).append("\", sizeof(struct ").append(name).append("));\n");
            members(c, name, s, "", 0);
        }
        for (Class<?> k : List.of(VfioAbi.class, KvmAbi.class)) {
            for (Field f : k.getFields()) {
                if (!Modifier.isStatic(f.getModifiers()) || !(f.getName().startsWith("VFIO_") || f.getName().startsWith("KVM_"))) {
                    continue;
                }
                Object v = f.get(null);
                long value = v instanceof Integer i ? Integer.toUnsignedLong(i) : (Long) v;
                JAVA.put("const " + f.getName(), value);
                c.append("printf(\"const %s %llu\\n\", \"").append(f.getName())
                        .append("\", (unsigned long long)(").append(f.getName()).append("));\n");
            }
        }
        c.append("return 0; }\n");
        Path src = dir.resolve("abi.c");
        Path exe = dir.resolve("abi");
        Files.writeString(src, c);
        run(List.of("gcc", "-o", exe.toString(), src.toString()), "compile (is gcc installed? apt-get install gcc linux-libc-dev)");
        for (String line : run(List.of(exe.toString()), "run").split("\n")) {
            int sp = line.lastIndexOf(' ');
            C.put(line.substring(0, sp), Long.parseUnsignedLong(line.substring(sp + 1)));
        }
    }

    private static void members(StringBuilder c, String struct, GroupLayout g, String prefix, long base) {
        for (MemoryLayout m : g.memberLayouts()) {
            if (m instanceof PaddingLayout) {
                continue;
            }
            String path = prefix + m.name().orElseThrow();
            long off = base + g.byteOffset(MemoryLayout.PathElement.groupElement(m.name().orElseThrow()));
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
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), what + " timed out");
        assertEquals(0, p.exitValue(), what + " failed:\n" + out);
        return out;
    }

    @Test
    void everyJavaFactAgreesWithTheHeader() {
        List<String> wrong = new ArrayList<>();
        JAVA.forEach((k, v) -> {
            Long cv = C.get(k);
            if (!v.equals(cv)) {
                wrong.add(k + ": Java " + v + ", C " + cv);
            }
        });
        assertTrue(wrong.isEmpty(), "layouts disagree with /usr/include/linux:\n" + String.join("\n", wrong));
    }

    @Test
    void theCheckCoversWhatMatters() {
        // Guards against the generator silently skipping things: these must all have been compared.
        for (String k : List.of("sizeof vfio_iommu_type1_info", "offsetof vfio_iommu_type1_info.cap_offset",
                "offsetof vfio_region_info_cap_sparse_mmap.header.next", "const VFIO_IOMMU_MAP_DMA",
                "const KVM_CREATE_DEVICE", "sizeof vfio_pci_dependent_device.devfn", "const VFIO_DMA_MAP_FLAG_VADDR")) {
            assertTrue(C.containsKey(k) && JAVA.containsKey(k), "not compared: " + k);
        }
        assertTrue(JAVA.size() > 150, "only " + JAVA.size() + " facts compared");
    }
}
