package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.sys.VfioAbi;

/** How permissions become kernel flags, and what is refused rather than faked. */
class DmaPermissionTest {
    @Test
    void readWriteAndExecMapToTheTwoUpstreamBits() {
        assertEquals(VfioAbi.VFIO_DMA_MAP_FLAG_READ, DmaPermission.mapFlags(Set.of(DmaPermission.READ), false));
        assertEquals(VfioAbi.VFIO_DMA_MAP_FLAG_WRITE, DmaPermission.mapFlags(Set.of(DmaPermission.WRITE), false));
        assertEquals(3, DmaPermission.mapFlags(DmaPermission.READ_WRITE, false));
        // EXEC is honoured by type1's implicit executability: no extra bit, and never bit 2 (VADDR).
        assertEquals(1, DmaPermission.mapFlags(Set.of(DmaPermission.READ, DmaPermission.EXEC), false));
        assertEquals(3, DmaPermission.mapFlags(Set.of(DmaPermission.READ, DmaPermission.WRITE, DmaPermission.EXEC), false));
    }

    @Test
    void noExecIsRefusedWithTheReason() {
        VfioException e = assertThrows(VfioException.class,
                () -> DmaPermission.mapFlags(Set.of(DmaPermission.READ, DmaPermission.NO_EXEC), false));
        assertEquals(0, e.errno(), "refused before any ioctl");
        assertTrue(e.getMessage().contains("no no-exec DMA flag"), e.getMessage());
        assertTrue(e.getMessage().contains("VFIO_DMA_MAP_FLAG_VADDR"), e.getMessage());
        // Were a kernel able to express it, the request would pass the check.
        assertEquals(1, DmaPermission.mapFlags(Set.of(DmaPermission.READ, DmaPermission.NO_EXEC), true));
    }

    @Test
    void contradictionsAndImpossibleCombinations() {
        assertThrows(VfioException.class, () -> DmaPermission.mapFlags(Set.of(DmaPermission.EXEC), false));
        assertThrows(VfioException.class, () -> DmaPermission.mapFlags(Set.of(), false));
        assertThrows(VfioException.class, () -> DmaPermission.mapFlags(
                Set.of(DmaPermission.READ, DmaPermission.EXEC, DmaPermission.NO_EXEC), true));
    }
}
