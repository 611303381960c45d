package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** QEMU's {@code -object iommufd,id=ID[,fd=N]}, beside the memory backends that share {@code -object}. */
class IommufdOptionsTest {
    private static String error(String... args) {
        return assertThrows(UsageException.class, () -> CommandLine.parse(args)).getMessage();
    }

    @Test
    void iommufdObjectsAreKeptByIdWithTheirFds() throws Exception {
        MachineConfig c = CommandLine.parse(new String[] {"-object", "iommufd,id=iommufd0", "-object",
            "iommufd,id=passed,fd=3", "-object", "memory-backend-memfd,id=m0,size=64M"}).config();
        assertEquals(Map.of("iommufd0", new IommufdObject("iommufd0", -1), "passed", new IommufdObject("passed", 3)),
                c.iommufds());
        assertTrue(c.iommufds().get("passed").handedIn());
        assertEquals(Map.of(), CommandLine.parse(new String[] {"-m", "64M"}).config().iommufds());
    }

    @Test
    void mistakesNameTheProperty() {
        assertTrue(error("-object", "iommufd").contains("give it an id"));
        assertTrue(error("-object", "iommufd,id=i0,fd=-1").contains("fd=-1: the number of an open file descriptor"));
        assertTrue(error("-object", "iommufd,id=i0,fd=three").contains("fd=three"));
        assertTrue(error("-object", "iommufd,id=i0,path=/dev/iommu").contains("unknown iommufd property 'path'; "
                + "accepted: id, fd"));
        assertTrue(error("-object", "iommufd,id=x", "-object", "memory-backend-memfd,id=x,size=64M")
                .contains("id=x is given twice"));
        assertTrue(error("-object", "iommu,id=x").contains("accepted: memory-backend-memfd, memory-backend-ram, iommufd"));
    }
}
