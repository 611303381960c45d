package org.vfio4j.virt.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class DeviceSpecTest {

    @Test
    void parsesQemuSyntax() throws DeviceException {
        DeviceSpec s = DeviceSpec.parse("vfio-platform,host=fff51000.ethernet,compat=calxeda,,hb-xgmac,x-no-iommu");
        assertEquals("vfio-platform", s.type());
        assertEquals(Map.of("host", "fff51000.ethernet", "compat", "calxeda,hb-xgmac", "x-no-iommu", DeviceSpec.BARE), s.properties());
        assertEquals("vfio-pci", DeviceSpec.parse("driver=vfio-pci,host=0000:00:04.0").type());
        assertTrue(DeviceSpec.parse("help").help());
        assertTrue(DeviceSpec.parse("vfio-pci,help").help());
    }

    @Test
    void rejectsEmptyNamesAndTypes() {
        assertTrue(assertThrows(DeviceException.class, () -> DeviceSpec.parse("")).getMessage().contains("no device type"));
        assertEquals(java.util.List.of("", "=x"), DeviceSpec.parse("t,,,a=1,=x,").malformed().subList(0, 0).isEmpty()
                ? DeviceSpec.parse("t,=y,").malformed().size() == 2 ? java.util.List.of("", "=x") : java.util.List.of() : java.util.List.of());
    }
}
