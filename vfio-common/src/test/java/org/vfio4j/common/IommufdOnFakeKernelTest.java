package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;
import org.vfio4j.common.sys.VfioAbi;

/**
 * The iommufd backend's logic against {@link FakeVfioKernel}: a device joins through its cdev (bind, then
 * attach), DMA goes to the IOAS with the container's checks, the valid ranges follow the attached devices,
 * failures leave nothing open and the teardown unmaps before the IOAS is freed.
 */
class IommufdOnFakeKernelTest {
    private static final String EDU = "0000:00:04.0";

    private final FakeVfioKernel k = new FakeVfioKernel();
    private final IommuGroups sysfs;
    private final String eduCdev;

    IommufdOnFakeKernelTest(@TempDir Path dir) throws Exception {
        FakeSysfs f = FakeSysfs.labLike(dir);
        eduCdev = k.group(3).device(EDU, VfioAbi.VFIO_DEVICE_FLAGS_PCI | VfioAbi.VFIO_DEVICE_FLAGS_RESET)
                .region(4096).cdev();
        f.cdev(EDU, eduCdev);
        k.group(9).notViable().device("0000:02:02.0", VfioAbi.VFIO_DEVICE_FLAGS_PCI);
        f.cdev("0000:02:02.0", k.group(9).devices.get("0000:02:02.0").cdev());
        sysfs = new IommuGroups(dir);
    }

    @Test
    void aDeviceJoinsThroughItsCdevAndTheTeardownUnmapsBeforeTheIoasGoes() {
        try (IommufdIoas ioas = k.openIommufd(sysfs)) {
            PlainVfioDevice edu = ioas.openDevice(EDU);
            assertTrue(edu.group().isEmpty());
            assertEquals(ioas, edu.ioas().orElseThrow());
            assertEquals(ioas, edu.dmaSpace());
            edu.region(0).write32(0x10, 0xcafe);
            assertEquals(0xcafe, edu.region(0).read32(0x10), "the region is reached through the cdev fd");
            edu.reset();
            DmaBuffer buf = ioas.allocate(100, DmaPermission.READ_WRITE);
            assertEquals(4096, buf.size());
        }
        assertEquals(List.of("open iommufd", "IOMMU_IOAS_ALLOC ioas 1", "open cdev " + EDU,
                "VFIO_DEVICE_BIND_IOMMUFD " + EDU, "VFIO_DEVICE_ATTACH_IOMMUFD_PT " + EDU + " ioas 1",
                "VFIO_DEVICE_RESET " + EDU, "IOMMU_IOAS_MAP ioas 1 iova=0x100000 size=0x1000 READ|WRITE",
                "IOMMU_IOAS_UNMAP ioas 1 iova=0x100000 size=0x1000", "VFIO_DEVICE_DETACH_IOMMUFD_PT " + EDU,
                "close cdev " + EDU, "IOMMU_DESTROY ioas 1",
                "close iommufd"), k.calls());
        assertEquals(0, k.openFds());
    }

    @Test
    void theValidRangesNarrowWhenADeviceAttachesAndAreCheckedBeforeTheKernel() {
        try (IommufdIoas ioas = k.openIommufd(sysfs); DmaArena ram = ioas.newDmaArena()) {
            assertEquals(List.of(new IovaRange(0, -1)), ioas.iommuInfo().iovaRanges(), "a fresh IOAS allows all");
            ioas.openDevice(EDU);
            assertEquals(List.of(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, -1)),
                    ioas.iommuInfo().iovaRanges());
            MemorySegment page = ram.allocate(4096, 4096);
            VfioException e = assertThrows(VfioException.class,
                    () -> ioas.map(ram, page, 0xfee0_0000L, DmaPermission.READ_WRITE));
            assertTrue(e.getMessage().contains("outside the container's valid IOVA ranges"), e.getMessage());
            assertTrue(k.calls().stream().noneMatch(c -> c.startsWith("IOMMU_IOAS_MAP")), "refused before the kernel");
            DmaMapping m = ioas.map(ram, page, 0x1_0000_0000L, DmaPermission.READ_WRITE);
            assertEquals(List.of(m), ioas.mappings());
        }
        assertTrue(k.calls().indexOf("IOMMU_IOAS_UNMAP ioas 1 iova=0x100000000 size=0x1000")
                < k.calls().indexOf("IOMMU_DESTROY ioas 1"), "the arena unmapped before the IOAS was freed");
    }

    @Test
    void execIsTheKernelDefaultAndNoExecIsRefused() {
        try (IommufdIoas ioas = k.openIommufd(sysfs); DmaArena ram = ioas.newDmaArena()) {
            ioas.openDevice(EDU);
            MemorySegment page = ram.allocate(4096, 4096);
            ioas.map(ram, page, 0x2000, EnumSet.of(DmaPermission.READ, DmaPermission.WRITE, DmaPermission.EXEC));
            assertEquals("READ|WRITE", k.mappings().getFirst().access());
            MemorySegment other = ram.allocate(4096, 4096);
            assertThrows(VfioException.class, () -> ioas.map(ram, other, 0x4000,
                    EnumSet.of(DmaPermission.READ, DmaPermission.NO_EXEC)));
            assertEquals(1, k.mappings().size());
        }
    }

    @Test
    void aDeviceOfAGroupThatIsNotViableIsRefusedNamingTheOffenderAndClosed() {
        try (IommufdIoas ioas = k.openIommufd(sysfs)) {
            VfioException e = assertThrows(VfioException.class, () -> ioas.openDevice("0000:02:02.0"));
            assertEquals(Errno.EBUSY, e.errno());
            assertTrue(e.getMessage().contains("0000:02:01.0 is on e1000"), e.getMessage());
            assertEquals(1, k.openFds(), "only the iommufd is open");
            assertTrue(ioas.devices().isEmpty());
        }
    }

    @Test
    void aDeviceWithoutACdevGetsTheFixOrTheKernelOption() {
        try (IommufdIoas ioas = k.openIommufd(sysfs)) {
            VfioException unbound = assertThrows(VfioException.class, () -> ioas.openDevice("0000:02:01.0"));
            assertTrue(unbound.getMessage().contains("driver_override"), unbound.getMessage());
            VfioException noCdev = assertThrows(VfioException.class, () -> ioas.openDevice("0000:01:00.0"));
            assertTrue(noCdev.getMessage().contains("not bound to a VFIO driver"), noCdev.getMessage());
            VfioException gone = assertThrows(VfioException.class, () -> ioas.openDevice("0000:09:00.0"));
            assertTrue(gone.getMessage().contains("no device named"), gone.getMessage());
        }
    }

    @Test
    void aCdevFdHandedInIsBoundAttachedAndClosedWithTheDevice() {
        int fd = k.open("/dev/vfio/devices/" + eduCdev, Native.O_RDWR);
        try (IommufdIoas ioas = k.openIommufd(sysfs); PlainVfioDevice edu = ioas.adoptDevice(fd, EDU,
                PlainVfioDevice::new)) {
            assertEquals(fd, edu.fd());
            assertEquals(List.of(edu), ioas.devices());
        }
        assertTrue(k.calls().contains("VFIO_DEVICE_ATTACH_IOMMUFD_PT " + EDU + " ioas 1"));
        assertEquals(0, k.openFds());
    }

    /**
     * What a VMM given its fds does across guest reboots: each boot's IOAS takes copies of the iommufd and the
     * cdev fd; the device leaves each IOAS detached, so the still-bound file joins the next one without a bind.
     */
    @Test
    void aCopyOfABoundCdevJoinsALaterIoasOfTheSameIommufd() {
        int iommufd = k.open("/dev/iommu", Native.O_RDWR);
        int cdev = k.open("/dev/vfio/devices/" + eduCdev, Native.O_RDWR);
        for (int boot = 0; boot < 2; boot++) {
            try (IommufdIoas ioas = IommufdIoas.allocate(new Kernel(k), k.dup(iommufd), "iommufd", sysfs);
                    PlainVfioDevice edu = ioas.adoptDevice(k.dup(cdev), EDU, boot > 0, PlainVfioDevice::new)) {
                assertEquals(0xcafe0000 + boot, writeAndRead(edu, 0xcafe0000 + boot));
            }
        }
        assertEquals(1, k.calls().stream().filter(c -> c.startsWith("VFIO_DEVICE_BIND_IOMMUFD")).count());
        assertEquals(List.of("IOMMU_DESTROY ioas 1", "IOMMU_DESTROY ioas 3"),
                k.calls().stream().filter(c -> c.startsWith("IOMMU_DESTROY")).toList(), "both IOASes were freed (the device took id 2)");
        assertEquals(2, k.openFds(), "the handed-in fds stay open");
    }

    private static int writeAndRead(PlainVfioDevice d, int v) {
        d.region(0).write32(0, v);
        return d.region(0).read32(0);
    }

    @Test
    void interruptedCallsAreRetriedAndAFailedAttachClosesTheCdev() {
        try (IommufdIoas ioas = k.openIommufd(sysfs)) {
            k.failNext("VFIO_DEVICE_ATTACH_IOMMUFD_PT", Errno.EINVAL);
            VfioException e = assertThrows(VfioException.class, () -> ioas.openDevice(EDU));
            assertTrue(e.getMessage().contains("IOAS 1"), e.getMessage());
            assertEquals(1, k.openFds());
            PlainVfioDevice edu = ioas.openDevice(EDU); // the device is free for a second attempt
            k.interruptNext(2);
            DmaBuffer buf = ioas.allocate(4096, DmaPermission.READ_WRITE);
            buf.segment().set(ValueLayout.JAVA_INT, 0, 7);
            assertEquals(1, k.mappings().size(), "mapped once, after two EINTRs");
            assertEquals(List.of(edu), ioas.devices());
        }
    }

    @Test
    void anFdThatIsNoIommufdIsRefused() {
        int notIommufd = k.open("/dev/vfio/vfio", Native.O_RDWR);
        VfioException e = assertThrows(VfioException.class,
                () -> IommufdIoas.allocate(new Kernel(k), notIommufd, "fd " + notIommufd, sysfs));
        assertTrue(e.getMessage().contains("not an iommufd"), e.getMessage());
        assertEquals(0, k.openFds(), "the adopted fd is closed");
    }
}
