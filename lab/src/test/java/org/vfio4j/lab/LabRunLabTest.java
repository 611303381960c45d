package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The lab seen from the build host through {@link Lab#run}: the topology's IOMMU groups and
 * drivers, exit statuses, and the timeout's teardown. One boot serves the topology checks.
 */
@Tag("lab")
class LabRunLabTest {
    /** Lines "group bdf vendor:device driver" for every PCI device of the lab host. */
    private static final String LIST_DEVICES = """
            for d in /sys/bus/pci/devices/*; do
              g=$(basename "$(readlink "$d/iommu_group")")
              drv=-; [ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
              echo "$g ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") $drv"
            done""";

    private static LabResult devices = new LabResult(-1, "");

    @BeforeAll
    static void boot() {
        devices = Lab.x86().run(List.of("sh", "-c", LIST_DEVICES));
        assertEquals(0, devices.status(), devices.output());
    }

    private static Map<String, String> groupOf() {
        Map<String, String> g = new HashMap<>();
        for (String line : devices.output().strip().split("\n")) {
            String[] f = line.strip().split(" ");
            g.put(f[1], f[0]);
        }
        return g;
    }

    private static String driverOf(String bdf) {
        for (String line : devices.output().strip().split("\n")) {
            String[] f = line.strip().split(" ");
            if (f[1].equals(bdf)) {
                return f[3];
            }
        }
        throw new AssertionError(bdf + " not in the lab host:\n" + devices.output());
    }

    @Test
    void labHostHasAtLeastFourIommuGroups() {
        long groups = groupOf().values().stream().distinct().count();
        assertTrue(groups >= 4, "only " + groups + " IOMMU groups:\n" + devices.output());
    }

    @Test
    void devicesBehindTheBridgeShareOneGroupAndEduIsAlone() {
        Map<String, String> g = groupOf();
        String bridged = g.get(LabDevice.BRIDGE_E1000.bdf());
        assertEquals(bridged, g.get(LabDevice.BRIDGE_EDU.bdf()), devices.output());
        assertEquals(bridged, g.get(LabDevice.BRIDGE_BDF), devices.output());
        String edu = g.get(LabDevice.EDU.bdf());
        assertEquals(1, g.values().stream().filter(v -> v.equals(edu)).count(), "edu shares its group:\n" + devices.output());
        assertTrue(!edu.equals(g.get(LabDevice.NVME.bdf())) && !bridged.equals(g.get(LabDevice.E1000E.bdf())));
    }

    @Test
    void devicesSitOnTheirHostDrivers() {
        for (LabDevice d : LabDevice.values()) {
            assertEquals(d.hostDriver().isEmpty() ? "-" : d.hostDriver(), driverOf(d.bdf()), d + "\n" + devices.output());
        }
    }

    @Test
    void nvmeReboundToVfioPciYieldsDevVfioGroup() {
        String bdf = LabDevice.NVME.bdf();
        LabResult r = Lab.x86().run(List.of("sh", "-c", "set -e; d=/sys/bus/pci/devices/" + bdf
                + "; echo " + bdf + " > $d/driver/unbind; echo vfio-pci > $d/driver_override;"
                + " echo " + bdf + " > /sys/bus/pci/drivers_probe;"
                + " basename $(readlink $d/driver); g=$(basename $(readlink $d/iommu_group)); ls -l /dev/vfio/$g"));
        assertEquals(0, r.status(), r.output());
        assertTrue(r.output().startsWith("vfio-pci\n"), r.output());
        assertTrue(r.output().contains("/dev/vfio/" + groupOf().get(bdf)), r.output());
    }

    @Test
    void commandStatusIsPassedThrough() {
        LabResult r = Lab.x86().run(List.of("sh", "-c", "echo out; echo err >&2; exit 7"));
        assertEquals(7, r.status());
        assertEquals("out\nerr\n", r.output());
    }

    @Test
    void runPastTheTimeoutFailsClearlyAndLeavesNothingBehind() throws IOException {
        LabException e = assertThrows(LabException.class,
                () -> Lab.x86().withTimeout(Duration.ofSeconds(15)).run(List.of("sleep", "600")));
        assertTrue(e.getMessage().contains("did not finish within 15 s (--timeout)"), e.getMessage());
        assertEquals(0, ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count(),
                "a child process survived the timeout");
        String mine = Lab.TEMP_PREFIX + ProcessHandle.current().pid() + "-";
        try (var tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertEquals(List.of(), tmp.filter(p -> p.getFileName().toString().startsWith(mine)).toList());
        }
    }
}
