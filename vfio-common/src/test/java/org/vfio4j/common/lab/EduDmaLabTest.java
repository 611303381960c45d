package org.vfio4j.common.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.DmaArena;
import org.vfio4j.common.DmaBuffer;
import org.vfio4j.common.DmaMapping;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.SparseArea;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.VfioRegion;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabResult;
import org.vfio4j.lab.LabTest;

/** edu's DMA engine through VFIO: round trip, register paths, isolation, and unprivileged use. */
@LabTest
class EduDmaLabTest {
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void dmaRoundTripThroughMappedBuffers(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                Edu edu = new Edu(g.openDevice(LabDevice.EDU.bdf()));
                DmaBuffer src = c.allocate(4096, DmaPermission.READ_WRITE);
                DmaBuffer dst = c.allocate(4096, DmaPermission.READ_WRITE)) {
            assertTrue(src.iova() + 4096 <= Edu.DMA_LIMIT && dst.iova() + 4096 <= Edu.DMA_LIMIT, "edu reaches 28 bits");
            assertEquals("ROUNDTRIP OK", EduRoundTripMain.roundTrip(edu, src, dst, 1));
            // A second, different pattern proves the first result was not left over.
            assertEquals("ROUNDTRIP OK", EduRoundTripMain.roundTrip(edu, src, dst, 2));
            assertEquals(2, c.mappings().size());
        }
    }

    @Test
    void userArenaMappingIsUnmappedWhenTheArenaCloses(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group)) {
            DmaMapping m;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(8192, 4096);
                m = c.map(arena, seg, 0x40_0000L, DmaPermission.READ_WRITE);
                assertTrue(m.isLive());
                assertEquals(List.of(m), c.mappings());
            }
            assertTrue(!m.isLive(), "closing the arena unmapped the DMA first");
            assertEquals(List.of(), c.mappings());
            // The IOVA is free again in the kernel too: mapping it anew succeeds.
            try (Arena arena = Arena.ofConfined()) {
                c.map(arena, arena.allocate(8192, 4096), 0x40_0000L, DmaPermission.READ_WRITE);
            }
        }
    }

    /**
     * One arena, several mappings, memory allocated between them: closing the arena unmaps every one of them
     * (kernel included) before any of their memory is freed, and leaves another arena's mapping alone.
     */
    @Test
    void arenaCloseUnmapsEachOfItsMappingsBeforeFreeingTheirMemory(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group); Arena keep = Arena.ofConfined()) {
            DmaMapping other = c.map(keep, keep.allocate(4096, 4096), 0x80_0000L, DmaPermission.READ_WRITE);
            List<DmaMapping> maps = new java.util.ArrayList<>();
            List<String> freedWhileMapped = new java.util.ArrayList<>();
            int[] freed = {0};
            try (Arena arena = Arena.ofConfined()) {
                for (int i = 0; i < 4; i++) {
                    // Each segment is allocated after the previous mapping (so after its arena registration);
                    // its "free" cleanup records whether its mapping was still live at that moment.
                    MemorySegment raw = arena.allocate(8192, 4096);
                    int n = i;
                    MemorySegment seg = raw.reinterpret(arena, s -> {
                        freed[0]++;
                        if (maps.get(n).isLive()) {
                            freedWhileMapped.add("segment " + n);
                        }
                    });
                    maps.add(c.map(arena, seg, 0x40_0000L + i * 0x1_0000L, DmaPermission.READ_WRITE));
                }
                maps.get(1).close(); // an explicitly closed one in the middle stays closed
                assertEquals(4, c.mappings().size(), "the other arena's mapping and three live ones");
            }
            assertEquals(4, freed[0], "every segment's cleanup ran");
            assertEquals(List.of(), freedWhileMapped, "memory freed while the device could still reach it");
            assertEquals(List.of(other), c.mappings());
            assertTrue(other.isLive());
            // The kernel dropped them too: the same IOVAs map again.
            try (Arena arena = Arena.ofConfined()) {
                for (int i = 0; i < 4; i++) {
                    c.map(arena, arena.allocate(8192, 4096), 0x40_0000L + i * 0x1_0000L, DmaPermission.READ_WRITE);
                }
                assertEquals(5, c.mappings().size());
            }
            assertEquals(List.of(other), c.mappings());
        }
    }

    /**
     * A container's DMA arena unmaps its mappings before it frees anything, memory allocated between mappings
     * included, without registering per mapping; the same memory mapped in a second container (nvme's group)
     * goes through the general per-mapping registration and is unmapped before the free as well.
     */
    @Test
    void dmaArenaUnmapsBeforeFreeingInItsOwnContainerAndInAnother(LabHost host) {
        int eduGroup = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        int nvmeGroup = Integer.parseInt(host.bindToVfio(LabDevice.NVME));
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(eduGroup);
                VfioContainer c2 = VfioContainer.open(); VfioGroup g2 = c2.attach(nvmeGroup)) {
            List<DmaMapping> maps = new java.util.ArrayList<>();
            List<String> freedWhileMapped = new java.util.ArrayList<>();
            int[] freed = {0};
            DmaArena arena = c.newDmaArena();
            try (arena) {
                for (int i = 0; i < 3; i++) {
                    MemorySegment raw = arena.allocate(8192, 4096);
                    MemorySegment seg = raw.reinterpret(arena, s -> {
                        freed[0]++;
                        if (maps.stream().anyMatch(m -> m.isLive() && m.segment().address() == raw.address())) {
                            freedWhileMapped.add("segment at " + Long.toHexString(raw.address()));
                        }
                    });
                    maps.add(c.map(arena, seg, 0x40_0000L + i * 0x1_0000L, DmaPermission.READ_WRITE));
                    maps.add(c2.map(arena, seg, 0x40_0000L + i * 0x1_0000L, DmaPermission.READ_WRITE));
                }
                assertEquals(3, c.mappings().size());
                assertEquals(3, c2.mappings().size());
            }
            assertEquals(3, freed[0], "every segment's cleanup ran");
            assertEquals(List.of(), freedWhileMapped, "memory freed while a device could still reach it");
            assertEquals(List.of(), c.mappings());
            assertEquals(List.of(), c2.mappings());
            assertTrue(maps.stream().noneMatch(DmaMapping::isLive));
            assertThrows(IllegalStateException.class, () -> arena.allocate(4096, 4096), "a closed arena allocates nothing");
            // The kernel dropped them too: the same IOVAs map again in both containers.
            try (DmaArena again = c.newDmaArena()) {
                for (int i = 0; i < 3; i++) {
                    MemorySegment seg = again.allocate(8192, 4096);
                    c.map(again, seg, 0x40_0000L + i * 0x1_0000L, DmaPermission.READ_WRITE);
                    c2.map(again, seg, 0x40_0000L + i * 0x1_0000L, DmaPermission.READ_WRITE);
                }
            }
        }
    }

    /**
     * Unmapping by IOVA range, as a vIOMMU does: whole mappings inside the range go (kernel included), a range
     * that would cut a mapping is refused with nothing changed, and an old handle neither reports nor unmaps a
     * newer mapping at its IOVA.
     */
    @Test
    void unmapByRangeTakesWholeMappingsAndHandlesFollow(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group); DmaArena arena = c.newDmaArena()) {
            long base = 0x40_0000L;
            List<DmaMapping> maps = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) { // 8 KiB each, back to back: [base, base + 32K)
                maps.add(c.map(arena, arena.allocate(8192, 4096), base + i * 8192L, DmaPermission.READ_WRITE));
            }
            VfioException cut = assertThrows(VfioException.class, () -> c.unmap(base + 8192, 4096));
            assertEquals(0, cut.errno());
            assertTrue(cut.getMessage().contains("cannot unmap part of a mapping"), cut.getMessage());
            assertThrows(VfioException.class, () -> c.unmap(base + 4096, 8192), "starts inside the first mapping");
            assertThrows(VfioException.class, () -> c.unmap(base + 16384, 12288), "ends inside the fourth");
            assertEquals(4, c.mappings().size(), "a refused unmap changes nothing");

            assertEquals(2, c.unmap(base + 8192, 16384), "the second and third");
            assertEquals(List.of(maps.get(0), maps.get(3)), c.mappings());
            assertTrue(!maps.get(1).isLive() && !maps.get(2).isLive());
            assertEquals(0, c.unmap(base + 8192, 16384), "nothing left there");

            DmaMapping newer = c.map(arena, arena.allocate(8192, 4096), base + 8192, DmaPermission.READ_WRITE);
            assertTrue(!maps.get(1).isLive(), "the old handle does not see the newer mapping at its IOVA");
            maps.get(1).close();
            assertTrue(newer.isLive(), "closing the old handle left the newer mapping alone");
            assertEquals(1, c.unmap(base, 8192), "one whole mapping");
            assertEquals(List.of(newer, maps.get(3)), c.mappings());
            // The kernel agrees: the freed IOVAs map again, the live ones would overlap.
            c.map(arena, arena.allocate(8192, 4096), base, DmaPermission.READ_WRITE);
            c.map(arena, arena.allocate(8192, 4096), base + 16384, DmaPermission.READ_WRITE);
            assertEquals(4, c.mappings().size());
        }
    }

    @Test
    void sameRegistersThroughMmapAndThroughRegionAccess(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                Edu edu = new Edu(g.openDevice(LabDevice.EDU.bdf()))) {
            VfioRegion bar0 = edu.bar0();
            assertEquals(1 << 20, bar0.size(), "edu's BAR0 is 1 MiB");
            List<SparseArea> areas = bar0.info().mmapAreas();
            assertEquals(List.of(new SparseArea(0, 1 << 20)), areas);
            MemorySegment regs = bar0.mmap(areas.get(0));
            assertEquals(0x010000ed, regs.get(LE32, Edu.ID));
            assertEquals(bar0.read32(Edu.ID), regs.get(LE32, Edu.ID));
            // liveness register: reads back the inverse of what was written, whichever path wrote it
            bar0.write32(Edu.LIVENESS, 0x12345678);
            assertEquals(~0x12345678, regs.get(LE32, Edu.LIVENESS));
            regs.set(LE32, Edu.LIVENESS, 0x0badf00d);
            assertEquals(~0x0badf00d, bar0.read32(Edu.LIVENESS));
            // 8-byte DMA address register
            regs.set(LE64, Edu.DMA_SRC, 0x1234_5000L);
            assertEquals(0x1234_5000L, bar0.read64(Edu.DMA_SRC));
            bar0.write64(Edu.DMA_DST, 0x0765_4000L);
            assertEquals(0x0765_4000L, regs.get(LE64, Edu.DMA_DST));
            bar0.close();
            try {
                regs.get(LE32, Edu.ID);
                throw new AssertionError("a segment of a closed region must not be readable");
            } catch (IllegalStateException expected) {
                // unmapped, and the segment knows it
            }
        }
    }

    @Test
    void dmaToAnUnmappedIovaTouchesNoneOfOurMemoryAndFaults(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        long unmapped = 0x0800_0000L; // 128 MiB: inside edu's 28-bit reach, never mapped here
        host.sh("dmesg -C");
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                Edu edu = new Edu(g.openDevice(LabDevice.EDU.bdf()));
                DmaBuffer src = c.allocate(4096, DmaPermission.READ_WRITE);
                DmaBuffer guard = c.allocate(4096, DmaPermission.READ_WRITE);
                Arena arena = Arena.ofConfined()) {
            assertTrue(c.mappings().stream().noneMatch(m -> m.iova() <= unmapped && unmapped < m.iova() + m.size()));
            src.segment().fill((byte) 0xa5);
            guard.segment().fill((byte) 0x3c);
            MemorySegment plain = arena.allocate(1 << 16, 4096);
            plain.fill((byte) 0x77);
            edu.toDevice(src.iova(), 2048); // edu's buffer now holds 0xa5
            edu.toRam(unmapped, 2048);      // the IOMMU must block this write
            for (MemorySegment s : List.of(guard.segment(), plain)) {
                byte expect = s == plain ? (byte) 0x77 : (byte) 0x3c;
                for (long i = 0; i < s.byteSize(); i++) {
                    assertEquals(expect, s.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " changed");
                }
            }
        }
        LabResult dmesg = host.sh("dmesg");
        String log = dmesg.output();
        assertTrue(log.contains("DMAR") && log.toLowerCase().contains("fault") && log.contains("8000000"),
                "the lab host should log a DMAR fault at IOVA 0x8000000:\n" + log);
    }

    @Test
    void unprivilegedUserWithEnoughMemlock(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        // Two 4 KiB buffers are pinned: exactly 8 KiB of RLIMIT_MEMLOCK is enough.
        LabResult r = runAsNobody(host, group, 8192);
        assertEquals(0, r.status(), r.output());
        assertTrue(r.output().contains("ROUNDTRIP OK"), r.output());
    }

    @Test
    void unprivilegedUserWithTooLittleMemlockGetsAClearError(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        LabResult r = runAsNobody(host, group, 4096);
        assertEquals(1, r.status(), r.output());
        assertTrue(r.output().contains("RLIMIT_MEMLOCK") && r.output().contains("ENOMEM")
                && r.output().contains("prlimit --memlock"), r.output());
        assertTrue(!r.output().contains("\tat "), "no stack trace for a limit the user set: " + r.output());
    }

    private static LabResult runAsNobody(LabHost host, int group, int memlock) {
        host.sh("chown 65534:65534 /dev/vfio/" + group);
        try {
            return host.sh("prlimit --memlock=" + memlock + ":" + memlock
                    + " setpriv --reuid=65534 --regid=65534 --clear-groups " + LabSupport.java()
                    + " --enable-native-access=ALL-UNNAMED -XX:-UsePerfData -cp " + LabSupport.childClassPath() + " "
                    + EduRoundTripMain.class.getName() + " " + group + " " + LabDevice.EDU.bdf() + " 2>&1");
        } finally {
            host.sh("chown 0:0 /dev/vfio/" + group);
        }
    }
}
