package org.vfio4j.common.sys;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks every layout, offset, size, ioctl number and flag in {@link IommufdAbi} against the kernel's own
 * {@code linux/iommufd.h} and {@code linux/vfio.h} of Linux 6.6 or later ({@link UapiHeaders}), compiled
 * with gcc as {@link AbiHeaderTest} does for the rest.
 */
class IommufdAbiHeaderTest {
    private static final HeaderCheck CHECK = new HeaderCheck("linux/iommufd.h", "linux/vfio.h");

    @BeforeAll
    static void compileAndRun(@TempDir Path dir) throws Exception {
        IommufdAbi.STRUCTS.forEach(CHECK::struct);
        for (Field f : IommufdAbi.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && (f.getType() == long.class || f.getType() == int.class)) {
                CHECK.constant(f.getName(), f.get(null), f.getName());
            }
        }
        List<String> gcc = new ArrayList<>(List.of("gcc"));
        gcc.addAll(UapiHeaders.iommufdOptions());
        CHECK.compileAndRun(dir, gcc, "compile (is gcc installed? apt-get install gcc linux-libc-dev)", List.of(),
                "run", 60);
    }

    @Test
    void everyJavaFactAgreesWithTheHeader() {
        List<String> wrong = CHECK.disagreements();
        assertTrue(wrong.isEmpty(), "IommufdAbi disagrees with the kernel's headers:\n" + String.join("\n", wrong));
    }

    @Test
    void theCheckCoversWhatMatters() {
        for (String k : List.of("sizeof iommu_ioas_map", "offsetof iommu_ioas_map.iova", "const IOMMU_IOAS_UNMAP",
                "offsetof iommu_ioas_iova_ranges.out_iova_alignment", "const VFIO_DEVICE_BIND_IOMMUFD",
                "sizeof vfio_device_attach_iommufd_pt", "const IOMMU_IOAS_MAP_READABLE")) {
            assertTrue(CHECK.c.containsKey(k) && CHECK.java.containsKey(k), "not compared: " + k);
        }
        assertTrue(CHECK.java.size() > 60, "only " + CHECK.java.size() + " facts compared");
    }
}
