package org.vfio4j.common.sys;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks every Java layout, field offset, field size, ioctl number and flag in {@link VfioAbi} and
 * {@link KvmAbi} against the build host's own {@code linux/vfio.h} and {@code linux/kvm.h}: a C program
 * generated from the Java side is compiled with gcc and prints what the C compiler thinks.
 */
class AbiHeaderTest {
    private static final HeaderCheck CHECK = new HeaderCheck("linux/vfio.h", "linux/kvm.h");
    private static final Map<String, Long> JAVA = CHECK.java;
    private static final Map<String, Long> C = CHECK.c;

    @BeforeAll
    static void compileAndRun(@TempDir Path dir) throws Exception {
        List<StructLayout> structs = new ArrayList<>(VfioAbi.STRUCTS);
        structs.addAll(KvmAbi.STRUCTS);
        structs.forEach(CHECK::struct);
        for (Class<?> k : List.of(VfioAbi.class, KvmAbi.class)) {
            for (Field f : k.getFields()) {
                if (!Modifier.isStatic(f.getModifiers()) || !(f.getName().startsWith("VFIO_") || f.getName().startsWith("KVM_"))) {
                    continue;
                }
                CHECK.constant(f.getName(), f.get(null), f.getName());
            }
        }
        CHECK.compileAndRun(dir, List.of("gcc"), "compile (is gcc installed? apt-get install gcc linux-libc-dev)",
                List.of(), "run", 60);
    }

    @Test
    void everyJavaFactAgreesWithTheHeader() {
        List<String> wrong = CHECK.disagreements();
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
