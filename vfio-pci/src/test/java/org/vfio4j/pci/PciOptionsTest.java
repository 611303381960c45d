package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class PciOptionsTest {

    @Test
    void defaults() {
        PciOptions o = PciOptions.parse("vfio-pci,host=00:04.0");
        assertEquals("0000:00:04.0", o.host());
        assertEquals("10000:e1:00.0", PciOptions.parse("host=10000:E1:00.0").host(), "a VMD domain, as sysfs spells it");
        assertEquals("10000:e1:00.0", PciOptions.parse("host=00010000:e1:00.0").host());
        assertEquals("0001:00:04.0", PciOptions.parse("host=00001:00:04.0").host());
        assertTrue(o.romBar());
        assertFalse(o.noMmap());
        assertTrue(o.intx());
        assertEquals(Duration.ofMillis(1100), o.intxMmapTimeout());
    }

    @Test
    void everyProperty() {
        PciOptions o = PciOptions.parse(
                "vfio-pci,host=0001:3A:1f.7,id=nvme0,rombar=0,x-no-mmap,x-intx=off,x-intx-mmap-timeout-ms=250");
        assertEquals("0001:3a:1f.7", o.host());
        assertEquals("nvme0", o.id());
        assertFalse(o.romBar());
        assertTrue(o.noMmap());
        assertFalse(o.intx());
        assertEquals(Duration.ofMillis(250), o.intxMmapTimeout());
        assertFalse(PciOptions.parse("host=0000:00:04.0,x-no-mmap=off").noMmap());
    }

    private static String error(String spec) {
        return assertThrows(PciOptionException.class, () -> PciOptions.parse(spec)).getMessage();
    }

    @Test
    void aDeviceJoinsAnIommufdThroughItsCdevOrAHandedInFd() {
        PciOptions plain = PciOptions.parse("vfio-pci,host=00:05.0");
        assertEquals(null, plain.iommufd());
        assertEquals(-1, plain.fd());
        PciOptions cdev = PciOptions.parse("vfio-pci,host=00:05.0,iommufd=iommufd0");
        assertEquals("iommufd0", cdev.iommufd());
        assertEquals(-1, cdev.fd());
        assertEquals(4, PciOptions.parse("vfio-pci,host=00:05.0,iommufd=i0,fd=4").fd());
        assertTrue(error("vfio-pci,host=00:05.0,fd=4").contains("add iommufd=ID and -object iommufd,id=ID"));
        assertTrue(error("vfio-pci,host=00:05.0,iommufd=i0,fd=x").contains("open file descriptor of the device's cdev"));
        assertTrue(error("vfio-pci,host=00:05.0,iommufd=").contains("needs a value"));
    }

    @Test
    void clearErrors() {
        String unknown = error("vfio-pci,host=0000:00:04.0,x-bogus=1");
        assertTrue(unknown.contains("'x-bogus'") && unknown.contains("host, id, rombar, x-no-mmap, x-intx"), unknown);
        assertTrue(error("vfio-pci,rombar=0").contains("needs host="));
        assertTrue(error("vfio-pci,host=04.0").contains("host=04.0") );
        assertTrue(error("vfio-pci,host=0000:00:04.0,rombar=2").contains("0 (hide the ROM) or 1"));
        assertTrue(error("vfio-pci,host=0000:00:04.0,x-intx=maybe").contains("on or off"));
        assertTrue(error("vfio-pci,host=0000:00:04.0,x-intx-mmap-timeout-ms=-5").contains("milliseconds"));
        assertTrue(error("vfio-pci,host=0000:00:04.0,x-intx-mmap-timeout-ms=abc").contains("x-intx-mmap-timeout-ms=abc"));
        assertTrue(error("vfio-pci,host=0000:00:04.0,,").contains("empty property"));
        assertTrue(error("vfio-pci,host=0000:00:04.0,host=0000:00:05.0").contains("given twice"));
        assertTrue(error("virtio-net,host=0000:00:04.0").contains("not a vfio-pci device"));
        assertTrue(error("vfio-pci,host=").contains("needs a value"));
    }
}
