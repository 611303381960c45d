package org.vfio4j.common.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.GroupNotViableException;
import org.vfio4j.common.IovaRange;
import org.vfio4j.common.PlainVfioDevice;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.VfioRegion;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/** The errors a user meets, against the real kernel: each names what is wrong and what to do. */
@LabTest
class ErrorsLabTest {
    @Test
    void bridgeGroupWithE1000OnItsHostDriverIsNotViable(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.BRIDGE_EDU));
        String e1000 = LabDevice.BRIDGE_E1000.bdf();
        assertTrue(host.sh("readlink /sys/bus/pci/devices/" + e1000 + "/driver").output().trim().endsWith("/e1000"),
                "precondition: the e1000 stays on its host driver");
        try (VfioContainer c = VfioContainer.open()) {
            GroupNotViableException e = assertThrows(GroupNotViableException.class, () -> c.attach(group));
            String m = e.getMessage();
            assertTrue(m.contains(e1000) && m.contains("is bound to e1000"), m);
            assertTrue(m.contains("echo vfio-pci > /sys/bus/pci/devices/" + e1000 + "/driver_override"), m);
            assertTrue(m.contains("/driver/unbind"), m);
            assertEquals(1, e.offenders().size(), "only the e1000 is in the way (bridge and edu are fine): " + m);
            assertEquals(group, e.group());
            assertTrue(c.groups().isEmpty(), "the failed group is not left attached");
        }
    }

    @Test
    void overlappingDmaMapIsRefused(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group); Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(8192, 4096);
            MemorySegment b = arena.allocate(8192, 4096);
            c.map(arena, a, 0x20_0000L, DmaPermission.READ_WRITE);
            VfioException e = assertThrows(VfioException.class,
                    () -> c.map(arena, b, 0x20_1000L, DmaPermission.READ_WRITE));
            assertEquals(0, e.errno(), "refused by vfio4j before the ioctl");
            assertTrue(e.getMessage().contains("overlaps the existing DMA mapping [0x200000, 0x202000)"), e.getMessage());
            // Adjacent is fine.
            c.map(arena, b, 0x20_2000L, DmaPermission.READ_WRITE);
            assertEquals(2, c.mappings().size());
        }
    }

    @Test
    void iovaOutsideTheValidRangesIsRefusedBeforeTheIoctl(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group); Arena arena = Arena.ofConfined()) {
            long msiWindow = 0xfee0_0000L; // x86 reserves it for interrupt messages
            assertTrue(c.iommuInfo().iovaRanges().stream().noneMatch(r -> r.contains(msiWindow, 4096)),
                    "valid ranges " + c.iommuInfo().iovaRanges());
            VfioException e = assertThrows(VfioException.class,
                    () -> c.map(arena, arena.allocate(4096, 4096), msiWindow, DmaPermission.READ_WRITE));
            assertEquals(0, e.errno(), "refused by vfio4j, not by the kernel");
            assertTrue(e.getMessage().contains("outside the container's valid IOVA ranges"), e.getMessage());
            IovaRange last = c.iommuInfo().iovaRanges().get(c.iommuInfo().iovaRanges().size() - 1);
            assertThrows(VfioException.class, () -> c.map(arena, arena.allocate(8192, 4096), last.end() - 4095,
                    DmaPermission.READ_WRITE), "a mapping running past the top is refused too");
            assertTrue(c.mappings().isEmpty());
        }
    }

    @Test
    void noExecIsRefusedAndExecIsGranted(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group); Arena arena = Arena.ofConfined()) {
            VfioException e = assertThrows(VfioException.class, () -> c.map(arena, arena.allocate(4096, 4096),
                    0x30_0000L, Set.of(DmaPermission.READ, DmaPermission.NO_EXEC)));
            assertTrue(e.getMessage().contains("no no-exec DMA flag"), e.getMessage());
            assertTrue(c.map(arena, arena.allocate(4096, 4096), 0x30_0000L,
                    Set.of(DmaPermission.READ, DmaPermission.EXEC)).isLive());
        }
    }

    @Test
    void wrongDeviceNameAndClosedObjects(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group)) {
            VfioException e = assertThrows(VfioException.class, () -> g.openDevice("0000:00:1f.7"));
            assertTrue(e.getMessage().contains("has no device named '0000:00:1f.7'")
                    && e.getMessage().contains(LabDevice.EDU.bdf()), e.getMessage());
            PlainVfioDevice dev = g.openDevice(LabDevice.EDU.bdf());
            // Within one container the kernel counts opens of a device: a second fd is allowed and independent.
            try (PlainVfioDevice second = g.openDevice(LabDevice.EDU.bdf())) {
                assertTrue(second.fd() != dev.fd());
                assertEquals(2, g.devices().size());
            }
            assertEquals(List.of(dev), g.devices());
            VfioRegion bar0 = dev.region(0);
            dev.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> bar0.read32(0));
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            assertThrows(IllegalStateException.class, () -> dev.region(0));
            // Closed devices free the name: it opens again at once.
            g.openDevice(LabDevice.EDU.bdf()).close();
            VfioException twice = assertThrows(VfioException.class, () -> c.attach(group));
            assertTrue(twice.getMessage().contains("already attached"), twice.getMessage());
        }
    }
}
