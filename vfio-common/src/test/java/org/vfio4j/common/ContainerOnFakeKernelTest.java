package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.VfioAbi;

/**
 * Container, group and device logic against {@link FakeVfioKernel}: which backend is chosen, what viability
 * refuses, what a failure leaves behind, the order of teardown, and EINTR.
 */
class ContainerOnFakeKernelTest {

    @Test
    void theFirstGroupChoosesType1v2AndCloseUndoesEverythingInReverse() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(4).device("0000:00:04.0", VfioAbi.VFIO_DEVICE_FLAGS_PCI).region(4096);
        try (VfioContainer c = k.openContainer()) {
            VfioGroup g = c.attach(4);
            assertEquals(IommuType.TYPE1V2, c.iommuType().orElseThrow());
            g.openDevice("0000:00:04.0");
        }
        assertEquals(List.of("open container", "open group 4", "VFIO_GROUP_SET_CONTAINER group 4", "VFIO_SET_IOMMU TYPE1V2",
                "open device 0000:00:04.0", "close device 0000:00:04.0", "VFIO_GROUP_UNSET_CONTAINER group 4",
                "close group 4", "close container"), k.calls());
        assertEquals(0, k.openFds());
    }

    @Test
    void withoutType1v2TheContainerFallsBackToType1() {
        FakeVfioKernel k = new FakeVfioKernel().withoutExtension(VfioAbi.VFIO_TYPE1v2_IOMMU);
        k.group(4);
        try (VfioContainer c = k.openContainer()) {
            c.attach(4);
            assertEquals(IommuType.TYPE1, c.iommuType().orElseThrow());
        }
    }

    @Test
    void aKernelWithoutType1IsRefusedWithTheModuleToLoad() {
        FakeVfioKernel k = new FakeVfioKernel().withoutExtension(VfioAbi.VFIO_TYPE1v2_IOMMU)
                .withoutExtension(VfioAbi.VFIO_TYPE1_IOMMU);
        VfioException e = assertThrows(VfioException.class, k::openContainer);
        assertTrue(e.getMessage().contains("modprobe vfio_iommu_type1"), e.getMessage());
        assertEquals(0, k.openFds(), "the container fd is closed again");
    }

    @Test
    void aGroupThatIsNotViableIsRefusedAndClosed() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(7).notViable();
        try (VfioContainer c = k.openContainer()) {
            assertThrows(GroupNotViableException.class, () -> c.attach(7));
            assertTrue(c.groups().isEmpty());
        }
        assertEquals(List.of("open container", "open group 7", "close group 7", "close container"), k.calls());
    }

    @Test
    void aFailedSetIommuTakesTheGroupOutAgain() {
        FakeVfioKernel k = new FakeVfioKernel().failNext("VFIO_SET_IOMMU", Errno.EPERM);
        k.group(4);
        try (VfioContainer c = k.openContainer()) {
            VfioException e = assertThrows(VfioException.class, () -> c.attach(4));
            assertEquals(Errno.EPERM, e.errno());
            assertTrue(c.iommuType().isEmpty());
            c.attach(4); // the group is free for a second attempt
            assertEquals(IommuType.TYPE1V2, c.iommuType().orElseThrow());
        }
        assertEquals(0, k.openFds());
    }

    @Test
    void aNoIommuGroupNeedsTheUnsafeContainerAndGetsNoDma() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(3).noIommu();
        try (VfioContainer safe = k.openContainer()) {
            VfioException e = assertThrows(VfioException.class, () -> safe.attach(3));
            assertTrue(e.getMessage().contains("no-IOMMU group"), e.getMessage());
        }
        try (VfioContainer c = k.openUnsafeNoIommu()) {
            c.attach(3);
            assertEquals(IommuType.NOIOMMU, c.iommuType().orElseThrow());
            VfioException e = assertThrows(VfioException.class, () -> c.allocate(4096, DmaPermission.READ_WRITE));
            assertTrue(e.getMessage().contains("cannot map DMA"), e.getMessage());
        }
        assertTrue(k.calls().stream().noneMatch(s -> s.startsWith("VFIO_IOMMU_MAP_DMA")), k.calls().toString());
    }

    @Test
    void interruptedCallsAreRetriedAndCloseIsNot() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(4).device("0000:00:04.0", VfioAbi.VFIO_DEVICE_FLAGS_PCI).region(4096);
        k.interruptNext(3); // the first three attempts at the open see EINTR
        try (VfioContainer c = k.openContainer()) {
            k.interruptNext(5);
            VfioDevice d = c.attach(4).openDevice("0000:00:04.0");
            k.regionMemoryOf(4, "0000:00:04.0", 0).set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 8, 0x1234_5678);
            k.interruptNext(2);
            assertEquals(0x1234_5678L, d.region(0).read(8, 4));
        }
        assertEquals(0, k.openFds());
    }

    @Test
    void anIoErrorOnARegionIsReportedWithTheDeviceAndOffset() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(4).device("0000:00:04.0", VfioAbi.VFIO_DEVICE_FLAGS_PCI).region(4096);
        try (VfioContainer c = k.openContainer()) {
            VfioDevice d = c.attach(4).openDevice("0000:00:04.0");
            k.failNext("pread", Errno.EIO);
            RuntimeException e = assertThrows(RuntimeException.class, () -> d.region(0).read(0x10, 4));
            assertTrue(e.getMessage().contains("0000:00:04.0") && e.getMessage().contains("EIO"), e.getMessage());
            assertEquals(0L, d.region(0).read(0x10, 4), "the next access works");
        }
    }

    @Test
    void closingTheContainerUnmapsItsBuffersBeforeTheGroupsLeave() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(4);
        try (VfioContainer c = k.openContainer()) {
            c.attach(4);
            c.allocate(8192, DmaPermission.READ_WRITE);
            assertEquals(1, k.mappings().size());
        }
        List<String> calls = k.calls();
        int unmap = indexOf(calls, "VFIO_IOMMU_UNMAP_DMA");
        int unset = indexOf(calls, "VFIO_GROUP_UNSET_CONTAINER");
        assertTrue(unmap >= 0 && unmap < unset, calls.toString());
        assertEquals("close container", calls.getLast(), "no mapping was left for the kernel to drop");
    }

    static int indexOf(List<String> calls, String prefix) {
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
