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
    void rejectsAnEmptyTypeAndKeepsMalformedPartsForTheRegistry() throws DeviceException {
        assertTrue(assertThrows(DeviceException.class, () -> DeviceSpec.parse("")).getMessage().contains("no device type"));
        DeviceSpec bad = DeviceSpec.parse("t,=y,a=1,");
        assertEquals(java.util.List.of("=y", ""), bad.malformed());
        assertEquals(Map.of("a", "1"), bad.properties());
    }
}
