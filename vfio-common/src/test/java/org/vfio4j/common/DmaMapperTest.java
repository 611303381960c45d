package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.sys.Errno;

/**
 * The checks vfio4j makes before VFIO_IOMMU_MAP_DMA, without a kernel: on fd -1 every request that passes
 * them reaches the ioctl and fails with EBADF, every request that does not is refused with errno 0.
 */
class DmaMapperTest {
    private final IommuInfo x86 = new IommuInfo(0x40201000L,
            List.of(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, 0x7f_ffff_ffffL)), OptionalInt.empty());

    @Test
    void aValidRequestReachesTheKernel() {
        DmaMapper m = new DmaMapper(Kernel.HOST, -1);
        try (Arena a = Arena.ofConfined()) {
            VfioException e = assertThrows(VfioException.class,
                    () -> m.map(a, a.allocate(8192, 4096), 0x10_0000L, DmaPermission.READ_WRITE, x86));
            assertEquals(Errno.EBADF, e.errno(), e.getMessage());
            assertTrue(e.getMessage().startsWith("VFIO_IOMMU_MAP_DMA of 8192 bytes at IOVA 0x100000 failed: EBADF"),
                    e.getMessage());
        } finally {
            m.close();
        }
    }

    @Test
    void outOfRangeMisalignedAndForeignSegmentsAreRefusedFirst() {
        DmaMapper m = new DmaMapper(Kernel.HOST, -1);
        try (Arena a = Arena.ofConfined(); Arena other = Arena.ofConfined()) {
            MemorySegment page = a.allocate(4096, 4096);
            VfioException msi = assertThrows(VfioException.class,
                    () -> m.map(a, page, 0xfee0_0000L, DmaPermission.READ_WRITE, x86));
            assertEquals(0, msi.errno());
            assertTrue(msi.getMessage().contains("outside the container's valid IOVA ranges [[0x0, 0xfedfffff], "
                    + "[0xfef00000, 0x7fffffffff]]"), msi.getMessage());
            VfioException straddle = assertThrows(VfioException.class,
                    () -> m.map(a, a.allocate(8192, 4096), 0xfedf_f000L, DmaPermission.READ_WRITE, x86));
            assertEquals(0, straddle.errno(), "a mapping must lie inside one range");
            VfioException misaligned = assertThrows(VfioException.class,
                    () -> m.map(a, page, 0x10_0800L, DmaPermission.READ_WRITE, x86));
            assertTrue(misaligned.getMessage().contains("multiples of the IOMMU page size 4096"), misaligned.getMessage());
            IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                    () -> m.map(other, page, 0x10_0000L, DmaPermission.READ_WRITE, x86));
            assertTrue(foreign.getMessage().contains("does not belong to the given arena"), foreign.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> m.map(a, MemorySegment.ofArray(new byte[4096]), 0x10_0000L, DmaPermission.READ_WRITE, x86));
            assertTrue(m.mappings().isEmpty());
        } finally {
            m.close();
        }
    }

    @Test
    void closedMapperRefusesUse() {
        DmaMapper m = new DmaMapper(Kernel.HOST, -1);
        m.close();
        try (Arena a = Arena.ofConfined()) {
            assertThrows(IllegalStateException.class,
                    () -> m.map(a, a.allocate(4096, 4096), 0x10_0000L, DmaPermission.READ_WRITE, x86));
        }
    }
}
