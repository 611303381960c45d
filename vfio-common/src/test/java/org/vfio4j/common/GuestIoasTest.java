package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.VfioAbi;

/**
 * The guest's IOAS on {@link FakeVfioKernel}: RAM mapped once, after the first device is attached, with the
 * union of the permissions; the last member out unmaps RAM before the IOAS is freed; a failed join leaves
 * nothing behind.
 */
class GuestIoasTest {
    private static final long RAM_BASE = 0x4000_0000L;
    private static final Set<DmaPermission> RWX = Set.of(DmaPermission.READ, DmaPermission.WRITE, DmaPermission.EXEC);

    private final FakeVfioKernel k = new FakeVfioKernel();
    private final IommuGroups sysfs;

    GuestIoasTest(@TempDir Path dir) throws Exception {
        FakeSysfs f = new FakeSysfs(dir);
        f.device(4, "0000:00:04.0", "pci", "vfio-pci", "0x1234", "0x11e8", "0x00ff00");
        f.device(5, "0000:00:05.0", "pci", "vfio-pci", "0x1b36", "0x0010", "0x010802");
        f.cdev("0000:00:04.0", k.group(4).device("0000:00:04.0", VfioAbi.VFIO_DEVICE_FLAGS_PCI).cdev());
        f.cdev("0000:00:05.0", k.group(5).device("0000:00:05.0", VfioAbi.VFIO_DEVICE_FLAGS_PCI).cdev());
        sysfs = new IommuGroups(dir);
    }

    private GuestIoas.Listener recorder() {
        return new GuestIoas.Listener() {
            @Override
            public void ramMapped(IommufdIoas ioas, Set<DmaPermission> permissions, java.time.Duration took) {
                k.note("listener: RAM mapped " + new TreeSet<>(permissions));
            }

            @Override
            public void joined(VfioDevice device) {
                k.note("listener: joined " + device.name());
            }

            @Override
            public void leaving(VfioDevice device) {
                k.note("listener: leaving " + device.name() + (device.isClosed() ? " (closed)" : ""));
            }

            @Override
            public void released() {
                k.note("listener: released");
            }
        };
    }

    @Test
    void twoDevicesShareOneRamMappingAndTheLastOutUnmapsBeforeTheIoasGoes() {
        try (Arena ramArena = Arena.ofShared()) {
            MemorySegment ram = ramArena.allocate(16L << 20, 2 << 20);
            GuestIoas vfio = new GuestIoas(() -> k.openIommufd(sysfs), ram, RAM_BASE, recorder());
            GuestIoas.Member<PlainVfioDevice> a = vfio.open("0000:00:04.0", DmaPermission.READ_WRITE, PlainVfioDevice::new);
            GuestIoas.Member<PlainVfioDevice> b = vfio.open("0000:00:05.0", RWX, PlainVfioDevice::new);
            assertEquals(List.of(new FakeVfioKernel.Mapping(RAM_BASE, 16L << 20, ram.address(), 3)), k.mappings(),
                    "one mapping of all RAM at IOVA = guest physical (EXEC is the kernel's default: no remap)");
            assertEquals(RWX, vfio.permissions());
            a.close();
            assertEquals(1, k.mappings().size(), "the second device still uses RAM");
            b.close();
            assertEquals(List.of(), k.mappings());
        }
        List<String> calls = k.calls();
        assertEquals(List.of("open iommufd", "IOMMU_IOAS_ALLOC ioas 1", "open cdev 0000:00:04.0",
                "VFIO_DEVICE_BIND_IOMMUFD 0000:00:04.0", "VFIO_DEVICE_ATTACH_IOMMUFD_PT 0000:00:04.0 ioas 1",
                "IOMMU_IOAS_MAP ioas 1 iova=0x40000000 size=0x1000000 READ|WRITE", "listener: RAM mapped [READ, WRITE]",
                "listener: joined 0000:00:04.0", "open cdev 0000:00:05.0", "VFIO_DEVICE_BIND_IOMMUFD 0000:00:05.0",
                "VFIO_DEVICE_ATTACH_IOMMUFD_PT 0000:00:05.0 ioas 1", "listener: joined 0000:00:05.0",
                "listener: leaving 0000:00:04.0", "VFIO_DEVICE_DETACH_IOMMUFD_PT 0000:00:04.0", "close cdev 0000:00:04.0",
                "listener: leaving 0000:00:05.0", "IOMMU_IOAS_UNMAP ioas 1 iova=0x40000000 size=0x1000000",
                "VFIO_DEVICE_DETACH_IOMMUFD_PT 0000:00:05.0", "close cdev 0000:00:05.0", "IOMMU_DESTROY ioas 1",
                "close iommufd", "listener: released"), calls);
        assertEquals(0, k.openFds());
    }

    @Test
    void aFailedFirstJoinFreesTheIoasAndAFailedMapClosesTheDevice() {
        try (Arena ramArena = Arena.ofShared()) {
            MemorySegment ram = ramArena.allocate(16L << 20, 2 << 20);
            GuestIoas vfio = new GuestIoas(() -> k.openIommufd(sysfs), ram, RAM_BASE, recorder());
            assertThrows(VfioException.class, () -> vfio.open("0000:00:09.0", DmaPermission.READ_WRITE,
                    PlainVfioDevice::new));
            assertEquals(0, k.openFds(), "no device, so no IOAS either");
            k.failNext("IOMMU_IOAS_MAP", Errno.ENOMEM);
            VfioException e = assertThrows(VfioException.class, () -> vfio.open("0000:00:04.0",
                    DmaPermission.READ_WRITE, PlainVfioDevice::new));
            assertTrue(e.getMessage().contains("RLIMIT_MEMLOCK") && e.getMessage().contains("charged to the user"),
                    e.getMessage());
            assertEquals(0, k.openFds(), "the device and the IOAS are closed again");
            assertEquals(Set.of(), vfio.permissions());
            vfio.open("0000:00:04.0", DmaPermission.READ_WRITE, PlainVfioDevice::new); // and the device is free
            vfio.close();
        }
        assertEquals(0, k.openFds());
    }
}
