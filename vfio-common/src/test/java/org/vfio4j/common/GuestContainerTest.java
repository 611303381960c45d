package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.sys.Errno;

/**
 * The machine's one container on {@link FakeVfioKernel}: RAM mapped once at IOVA = guest physical for every
 * group, permissions as a union, reference counts per group, and unmap before the container closes and
 * before the RAM is freed.
 */
class GuestContainerTest {
    private static final long RAM_BASE = 0x4000_0000L;
    private static final long RAM_SIZE = 16L << 20;
    private static final Set<DmaPermission> RWX = Set.of(DmaPermission.READ, DmaPermission.WRITE, DmaPermission.EXEC);

    /** A listener that writes what it hears into the kernel's call list, so the order is one order. */
    private static GuestContainer.Listener recorder(FakeVfioKernel k) {
        return new GuestContainer.Listener() {
            @Override
            public void ramMapped(IommuType backend, Set<DmaPermission> permissions, java.time.Duration took) {
                k.note("listener: RAM mapped " + backend + " " + new java.util.TreeSet<>(permissions));
            }

            @Override
            public void joined(VfioGroup group) {
                k.note("listener: joined " + group.number());
            }

            @Override
            public void leaving(VfioGroup group) {
                k.note("listener: leaving " + group.number());
            }

            @Override
            public void released() {
                k.note("listener: released");
            }
        };
    }

    @Test
    void twoGroupsShareOneMappingOfAllRamAndTheLastOutUnmapsBeforeTheRamIsFreed() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(4);
        k.group(9);
        Arena ramArena = Arena.ofShared();
        MemorySegment ram = ramArena.allocate(RAM_SIZE, 2 << 20);
        GuestContainer vfio = new GuestContainer(k.opener(), ram, RAM_BASE, recorder(k));
        GuestContainer.Membership pci = vfio.join(4, DmaPermission.READ_WRITE);
        GuestContainer.Membership platform = vfio.join(9, RWX);
        assertSame(pci.group().container(), platform.group().container(), "one container");
        assertEquals(List.of(new FakeVfioKernel.Mapping(RAM_BASE, RAM_SIZE, ram.address(), 3)), k.mappings(),
                "all RAM, once, at the guest physical address, read and write");
        assertEquals(RWX, vfio.permissions(), "EXEC granted: Type1's default, no flag of its own");

        pci.close();
        assertEquals(1, k.mappings().size(), "the platform device still needs RAM");
        platform.close();
        k.note("RAM freed");
        ramArena.close();

        assertEquals(List.of("open container", "open group 4", "VFIO_GROUP_SET_CONTAINER group 4",
                "VFIO_SET_IOMMU TYPE1V2", "VFIO_IOMMU_MAP_DMA iova=0x40000000 size=0x1000000 READ|WRITE",
                "listener: RAM mapped TYPE1V2 [READ, WRITE]", "listener: joined 4",
                "open group 9", "VFIO_GROUP_SET_CONTAINER group 9", "listener: joined 9",
                "listener: leaving 4", "VFIO_GROUP_UNSET_CONTAINER group 4", "close group 4",
                "listener: leaving 9", "VFIO_IOMMU_UNMAP_DMA iova=0x40000000 size=0x1000000",
                "VFIO_GROUP_UNSET_CONTAINER group 9", "close group 9", "close container", "listener: released",
                "RAM freed"), k.calls());
        assertEquals(0, k.openFds());
    }

    @Test
    void twoDevicesOfOneGroupHoldItTogether() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(4);
        try (Arena a = Arena.ofConfined()) {
            GuestContainer vfio = new GuestContainer(k.opener(), a.allocate(1 << 20, 4096), RAM_BASE, recorder(k));
            GuestContainer.Membership fn0 = vfio.join(4, DmaPermission.READ_WRITE);
            GuestContainer.Membership fn1 = vfio.join(4, DmaPermission.READ_WRITE);
            assertSame(fn0.group(), fn1.group());
            fn0.close();
            fn0.close(); // idempotent: does not count twice
            assertEquals(1, k.mappings().size());
            assertTrue(vfio.container() != null);
            fn1.close();
            assertEquals(0, k.openFds());
        }
        assertEquals(1, k.calls().stream().filter(s -> s.equals("open group 4")).count(), k.calls().toString());
    }

    @Test
    void aFailedMappingLeavesNothingAndTheNextJoinWorks() {
        FakeVfioKernel k = new FakeVfioKernel().failNext("VFIO_IOMMU_MAP_DMA", Errno.ENOMEM);
        k.group(4);
        try (Arena a = Arena.ofConfined()) {
            GuestContainer vfio = new GuestContainer(k.opener(), a.allocate(1 << 20, 4096), RAM_BASE, recorder(k));
            VfioException e = assertThrows(VfioException.class, () -> vfio.join(4, DmaPermission.READ_WRITE));
            assertEquals(Errno.ENOMEM, e.errno());
            assertEquals(0, k.openFds(), "group and container closed again: " + k.calls());
            try (GuestContainer.Membership m = vfio.join(4, DmaPermission.READ_WRITE)) {
                assertEquals(1, k.mappings().size());
            }
        }
    }

    @Test
    void aListenerThatRefusesTheGroupUndoesTheJoin() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(4);
        List<Integer> left = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            GuestContainer vfio = new GuestContainer(k.opener(), a.allocate(1 << 20, 4096), RAM_BASE,
                    new GuestContainer.Listener() {
                        @Override
                        public void joined(VfioGroup group) {
                            throw new IllegalStateException("KVM-VFIO refused group " + group.number());
                        }

                        @Override
                        public void leaving(VfioGroup group) {
                            left.add(group.number());
                        }
                    });
            assertThrows(IllegalStateException.class, () -> vfio.join(4, DmaPermission.READ_WRITE));
        }
        assertEquals(0, k.openFds());
        assertTrue(k.mappings().isEmpty());
        assertTrue(left.isEmpty(), "a group that never joined does not leave");
    }

    @Test
    void execWithNoExecIsRefusedBeforeTheGroupJoins() {
        FakeVfioKernel k = new FakeVfioKernel();
        k.group(4);
        k.group(5);
        try (Arena a = Arena.ofConfined()) {
            GuestContainer vfio = new GuestContainer(k.opener(), a.allocate(1 << 20, 4096), RAM_BASE, recorder(k));
            try (GuestContainer.Membership xgmac = vfio.join(4, RWX)) {
                VfioException e = assertThrows(VfioException.class,
                        () -> vfio.join(5, Set.of(DmaPermission.READ, DmaPermission.WRITE, DmaPermission.NO_EXEC)));
                assertTrue(e.getMessage().contains("EXEC and NO_EXEC contradict"), e.getMessage());
                assertEquals(RWX, vfio.permissions());
                assertEquals(1, xgmac.group().container().groups().size(), "group 5 did not stay");
            }
        }
        assertEquals(0, k.openFds());
    }
}
