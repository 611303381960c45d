package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group discovery and the viability explanation, on a synthetic sysfs shaped like the lab's bridge group. */
class IommuGroupsTest {
    private Path sys = Path.of("/nonexistent");
    private IommuGroups groups = new IommuGroups(sys);

    @BeforeEach
    void tree(@TempDir Path dir) throws IOException {
        sys = FakeSysfs.labLike(dir).root();
        groups = new IommuGroups(sys);
    }

    @Test
    void listsGroupsAndDevices() {
        assertEquals(List.of(3, 9, 12), groups.groups());
        List<SysfsDevice> nine = groups.devices(9);
        assertEquals(List.of("0000:01:00.0", "0000:02:01.0", "0000:02:02.0"), nine.stream().map(SysfsDevice::name).toList());
        assertEquals(new SysfsDevice("0000:02:01.0", "pci", "e1000", "8086:100e", "0x020000"), nine.get(1));
        assertEquals(OptionalInt.of(9), groups.groupOf("0000:02:01.0"));
        assertEquals(OptionalInt.empty(), groups.groupOf("0000:09:00.0"));
        assertNull(groups.find("0000:09:00.0"));
    }

    @Test
    void viabilityPerDevice() {
        List<SysfsDevice> nine = groups.devices(9);
        assertTrue(nine.get(0).vfioCompatible(), "an unbound bridge does not spoil the group");
        assertFalse(nine.get(1).vfioCompatible(), "e1000 on its host driver does");
        assertTrue(nine.get(2).vfioCompatible());
        assertFalse(groups.devices(12).get(0).vfioCompatible());
    }

    @Test
    void notViableMessageNamesDeviceDriverAndFix() {
        List<SysfsDevice> offenders = groups.devices(9).stream().filter(d -> !d.vfioCompatible()).toList();
        GroupNotViableException e = new GroupNotViableException(9, offenders);
        String m = e.getMessage();
        assertTrue(m.contains("0000:02:01.0 [8086:100e] is bound to e1000"), m);
        assertTrue(m.contains("echo vfio-pci > /sys/bus/pci/devices/0000:02:01.0/driver_override"), m);
        assertTrue(m.contains("echo 0000:02:01.0 > /sys/bus/pci/devices/0000:02:01.0/driver/unbind"), m);
        assertTrue(m.contains("/sys/kernel/iommu_groups/9/devices"), m);
        assertEquals(offenders, e.offenders());
        String amba = groups.devices(12).get(0).fix();
        assertTrue(amba.startsWith("echo vfio-amba > /sys/bus/amba/devices/9010000.pl031/driver_override"), amba);
    }
}
