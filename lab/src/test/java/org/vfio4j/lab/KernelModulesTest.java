package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The dependency closure {@code lab prepare} computes from the modules' own {@code depends=}. */
class KernelModulesTest {
    private static byte[] module(String depends) {
        return ("\u007fELF junk\0name=x\0depends=" + depends + "\0vermagic=6.12\0").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void readsDependsFromModinfo() {
        assertEquals(List.of("vfio-pci-core", "vfio"), KernelModules.depends(module("vfio-pci-core,vfio")));
        assertEquals(List.of(), KernelModules.depends(module("")));
        assertEquals(List.of(), KernelModules.depends("no modinfo here".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void closureLoadsDependenciesFirstAndTreatsDashesAsUnderscores() throws Exception {
        Map<String, String> index = Map.of("vfio_pci", "a/vfio-pci.ko", "vfio_pci_core", "a/vfio-pci-core.ko",
                "vfio", "a/vfio.ko", "irqbypass", "a/irqbypass.ko");
        Map<String, byte[]> files = Map.of("a/vfio-pci.ko", module("vfio-pci-core,vfio"),
                "a/vfio-pci-core.ko", module("vfio,irqbypass"), "a/vfio.ko", module(""), "a/irqbypass.ko", module(""));
        var order = KernelModules.closure(List.of("vfio-pci"), index, rel -> files.get(rel)).keySet();
        assertEquals(List.of("vfio", "irqbypass", "vfio_pci_core", "vfio_pci"), List.copyOf(order));
    }

    @Test
    void aMissingModuleIsNamed() {
        LabException e = assertThrows(LabException.class,
                () -> KernelModules.closure(List.of("kvm-amd"), Map.of(), rel -> new byte[0]));
        assertTrue(e.getMessage().contains("no module 'kvm_amd'"), e.getMessage());
    }
}
