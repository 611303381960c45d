package org.vfio4j.virt.pci;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.FakeSysfs;
import org.vfio4j.common.IommuGroups;
import org.vfio4j.virt.device.DeviceException;

/** The vfio-pci refusals on a synthetic sysfs and /proc (the lab's groups all have one device each). */
class HostChecksTest {
    @TempDir
    Path tmp = Path.of("");
    private int trees;

    private HostChecks checks(String capEff, String memlock) throws IOException {
        Path dir = tmp.resolve("host" + trees++);
        FakeSysfs sys = FakeSysfs.labLike(dir.resolve("sys"));
        Path self = Files.createDirectories(dir.resolve("proc/self"));
        Files.writeString(self.resolve("status"), "Name:\tjava\nCapEff:\t" + capEff + "\n");
        Files.writeString(self.resolve("limits"), "Limit                     Soft Limit           Hard Limit           Units\n"
                + "Max locked memory         " + memlock + "              " + memlock + "              bytes\n");
        return new HostChecks(new IommuGroups(sys.root()), dir.resolve("proc"));
    }

    @Test
    void aDeviceOnVfioPciAloneInItsGroupIsAssignable() throws Exception {
        assertEquals(3, checks("0000000000000000", "unlimited").assignable("d0", "0000:00:04.0"));
    }

    @Test
    void aGroupWithADeviceOnAHostDriverIsNotViableAndTheMessageNamesIt() throws Exception {
        DeviceException e = assertThrows(DeviceException.class,
                () -> checks("0", "unlimited").assignable("d0", "0000:02:02.0"));
        assertTrue(e.getMessage().contains("IOMMU group 9 of 0000:02:02.0 is not viable"), e.getMessage());
        assertTrue(e.getMessage().contains("0000:02:01.0 is bound to e1000"), e.getMessage());
        assertTrue(e.getMessage().contains("echo vfio-pci > /sys/bus/pci/devices/0000:02:01.0/driver_override"), e.getMessage());
    }

    @Test
    void aDeviceOnItsHostDriverIsRefusedWithTheBindCommands() throws Exception {
        DeviceException e = assertThrows(DeviceException.class,
                () -> checks("0", "unlimited").assignable("d0", "0000:02:01.0"));
        assertTrue(e.getMessage().contains("is bound to e1000, not vfio-pci"), e.getMessage());
        assertTrue(e.getMessage().contains("drivers_probe"), e.getMessage());
    }

    @Test
    void anUnknownDeviceIsNamed() throws Exception {
        DeviceException e = assertThrows(DeviceException.class,
                () -> checks("0", "unlimited").assignable("d0", "0000:00:1f.7"));
        assertTrue(e.getMessage().contains("no PCI device 0000:00:1f.7"), e.getMessage());
    }

    @Test
    void aMemlockLimitBelowGuestRamIsRefusedWithTheSizeNeeded() throws Exception {
        DeviceException e = assertThrows(DeviceException.class,
                () -> checks("0000000000000000", Long.toString(64L << 20)).canPin("d0", 512L << 20));
        assertTrue(e.getMessage().contains("RLIMIT_MEMLOCK is 64M"), e.getMessage());
        assertTrue(e.getMessage().contains("at least 512M (ulimit -l 524288"), e.getMessage());
    }

    @Test
    void capIpcLockOrAnUnlimitedOrLargeEnoughLimitPasses() throws Exception {
        assertDoesNotThrow(() -> checks("0000000000004000", "65536").canPin("d0", 512L << 20));
        assertDoesNotThrow(() -> checks("0", "unlimited").canPin("d0", 512L << 20));
        assertDoesNotThrow(() -> checks("0", Long.toString(512L << 20)).canPin("d0", 512L << 20));
    }

    @Test
    void aHandedInCdevFdNamesItsDeviceAndOtherFilesAreRefused() throws Exception {
        HostChecks c = checks("0000000000000000", "unlimited");
        Path dir = tmp.resolve("host" + (trees - 1));
        Path fds = Files.createDirectories(dir.resolve("proc/self/fd"));
        Files.createSymbolicLink(fds.resolve("4"), Path.of("/dev/vfio/devices/vfio2"));
        Files.createSymbolicLink(fds.resolve("5"), Path.of("/dev/null"));
        Files.createSymbolicLink(fds.resolve("3"), Path.of("/dev/iommu"));
        Path cdev = Files.createDirectories(dir.resolve("sys/class/vfio-dev/vfio2"));
        Files.createSymbolicLink(cdev.resolve("device"), dir.resolve("sys/devices/pci0000:00/0000:00:04.0"));
        assertEquals("0000:00:04.0", c.cdevHost("nvme0", 4));
        assertTrue(assertThrows(DeviceException.class, () -> c.cdevHost("nvme0", 5)).getMessage()
                .contains("fd=5 is /dev/null, not a VFIO device cdev"));
        assertTrue(assertThrows(DeviceException.class, () -> c.cdevHost("nvme0", 9)).getMessage()
                .contains("fd=9 is not an open file descriptor of this process"));
        assertDoesNotThrow(() -> c.iommufdFd("-object iommufd,id=i0", 3));
        assertTrue(assertThrows(DeviceException.class, () -> c.iommufdFd("-object iommufd,id=i0", 4)).getMessage()
                .contains("not /dev/iommu"));
    }
}
