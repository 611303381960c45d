package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.virt.RamBackend;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.kvm.KvmException;

/**
 * Guest RAM from each backend on this host: memory that reads back what was written, nothing left in
 * {@code -mem-path}'s directory, and hugepages the host has not reserved refused at start with its numbers.
 * (Booting on 2 MiB pages is {@code HugepageRamLabTest}'s, in the aarch64 lab.)
 */
class GuestRamTest {
    private static final MmioRange RAM = new MmioRange(MemoryMap.RAM_BASE, 16L << 20);

    @Test
    void aMemfdAndAFileInMemPathAreUsableRamAndLeaveNothingBehind(@TempDir Path dir) throws Exception {
        for (RamBackend b : new RamBackend[] {RamBackend.memfd(0), RamBackend.file(dir)}) {
            try (GuestRam ram = GuestRam.allocate(RAM, b)) {
                ram.memory().set(ValueLayout.JAVA_LONG, RAM.size() - 8, 0x1234_5678_9abc_def0L);
                assertEquals(0x1234_5678_9abc_def0L, ram.memory().get(ValueLayout.JAVA_LONG, RAM.size() - 8), b.describe());
                assertEquals(0, ram.memory().get(ValueLayout.JAVA_LONG, 0), "fresh RAM reads zero");
            }
            try (var files = Files.list(dir)) {
                assertEquals(0, files.count(), "-mem-path's file is unlinked at once");
            }
        }
    }

    @Test
    void hugepagesTheHostHasNotReservedAreRefusedWithItsNumbers() throws Exception {
        Path free = Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(free), "this host has no 2 MiB hugepages at all");
        long available = Long.parseLong(Files.readString(free).strip());
        MmioRange tooBig = new MmioRange(MemoryMap.RAM_BASE, (available + 1) * (2L << 20));
        KvmException e = assertThrows(KvmException.class, () -> GuestRam.allocate(tooBig, RamBackend.memfd(2L << 20)));
        assertTrue(e.getMessage().contains("not enough 2 MiB hugepages: the guest needs " + (available + 1))
                && e.getMessage().contains("/proc/sys/vm/nr_hugepages"), e.getMessage());
    }
}
