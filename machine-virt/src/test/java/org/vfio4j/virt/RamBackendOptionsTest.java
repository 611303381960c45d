package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** QEMU's spellings of what backs guest RAM: -object memory-backend-*, -machine memory-backend=, -mem-path. */
class RamBackendOptionsTest {
    private static MachineConfig parse(String... args) throws Exception {
        return CommandLine.parse(args).config();
    }

    private static String error(String... args) {
        return assertThrows(UsageException.class, () -> CommandLine.parse(args)).getMessage();
    }

    @Test
    void aHugetlbMemfdBacksRamAtItsSize() throws Exception {
        MachineConfig c = parse("-object", "memory-backend-memfd,id=m0,size=512M,hugetlb=on,hugetlbsize=2M",
                "-machine", "virt,memory-backend=m0");
        assertEquals(RamBackend.memfd(2L << 20), c.ramBackend());
        assertEquals(512L << 20, c.ramBytes(), "the backend's size is RAM's size");
        assertEquals(RamBackend.memfd(2L << 20), parse("-m", "512M", "-object", "memory-backend-memfd,id=m0,size=512M,"
                + "hugetlb=on", "-machine", "memory-backend=m0").ramBackend(), "hugetlbsize defaults to 2M");
        assertEquals(RamBackend.memfd(0), parse("-object", "memory-backend-memfd,id=m,size=64M", "-M", "memory-backend=m")
                .ramBackend());
        assertEquals(RamBackend.file(Path.of("/dev/hugepages")), parse("-m", "64M", "-mem-path", "/dev/hugepages").ramBackend());
        assertEquals(RamBackend.ANONYMOUS, parse("-m", "64M").ramBackend());
    }

    @Test
    void mistakesAreNamedWithWhatToDo() {
        assertTrue(error("-m", "256M", "-object", "memory-backend-memfd,id=m0,size=512M", "-machine", "memory-backend=m0")
                .contains("disagree on the size of RAM"));
        assertTrue(error("-machine", "memory-backend=m1", "-object", "memory-backend-memfd,id=m0,size=64M")
                .contains("no -object has id=m1; the objects are [m0]"));
        assertTrue(error("-object", "memory-backend-memfd,size=64M").contains("give it an id"));
        assertTrue(error("-object", "memory-backend-memfd,id=m0").contains("give its size"));
        assertTrue(error("-object", "memory-backend-memfd,id=m0,size=64M,hugetlbsize=2M").contains("needs hugetlb=on"));
        assertTrue(error("-object", "memory-backend-memfd,id=m0,size=64M,hugetlb=on,hugetlbsize=4M")
                .contains("arm64 hugepages are 64K, 2M, 32M or 1G"));
        assertTrue(error("-object", "memory-backend-memfd,id=m0,size=65M,hugetlb=on", "-machine", "memory-backend=m0")
                .contains("not a whole number of 2M hugepages"));
        assertTrue(error("-object", "memory-backend-file,id=m0,size=64M").contains("accepted: memory-backend-memfd"));
        assertTrue(error("-object", "memory-backend-memfd,id=m0,size=64M,prealloc=on").contains("unknown property 'prealloc'"));
        assertTrue(error("-object", "memory-backend-memfd,id=m0,size=64M", "-object", "memory-backend-memfd,id=m0,size=64M")
                .contains("id=m0 is given twice"));
        assertTrue(error("-object", "memory-backend-memfd,id=m0,size=64M", "-machine", "memory-backend=m0", "-mem-path", "/x")
                .contains("give one"));
    }
}
