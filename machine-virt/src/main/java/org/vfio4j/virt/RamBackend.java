package org.vfio4j.virt;

import java.nio.file.Path;

import org.eclipse.jdt.annotation.Nullable;

/**
 * What backs guest RAM, as QEMU's memory backends say it: anonymous memory (the default), a memfd
 * ({@code -object memory-backend-memfd,id=ID,size=SIZE[,hugetlb=on][,hugetlbsize=2M]} with
 * {@code -machine memory-backend=ID}), or a file in a directory such as a hugetlbfs mount ({@code -mem-path DIR}).
 *
 * <p>Why hugepages matter here: assigned devices pin and IOMMU-map all of guest RAM, and 2 MiB pages mean
 * 512 times fewer pages to pin and map, and fewer IOTLB and stage-2 TLB misses for the guest.
 *
 * @param hugePageSize the memfd's hugetlb page size in bytes, 0 for normal pages
 * @param memPath      the directory of {@code -mem-path}, or null
 */
public record RamBackend(Kind kind, long hugePageSize, @Nullable Path memPath) {
    /** The kinds QEMU spells {@code memory-backend-ram}, {@code memory-backend-memfd} and {@code -mem-path}. */
    public enum Kind {
        ANONYMOUS, MEMFD, FILE
    }

    /** Anonymous private memory, mapped lazily. */
    public static final RamBackend ANONYMOUS = new RamBackend(Kind.ANONYMOUS, 0, null);

    /** A memfd, with hugetlb pages of {@code hugePageSize} bytes unless 0. */
    public static RamBackend memfd(long hugePageSize) {
        return new RamBackend(Kind.MEMFD, hugePageSize, null);
    }

    /** An unlinked file in {@code dir} (a hugetlbfs mount gives its pages). */
    public static RamBackend file(Path dir) {
        return new RamBackend(Kind.FILE, 0, dir);
    }

    /** One line for the terminal. */
    public String describe() {
        return switch (kind) {
            case ANONYMOUS -> "anonymous memory";
            case MEMFD -> hugePageSize > 0 ? "a memfd of " + (hugePageSize >> 20) + " MiB hugepages" : "a memfd";
            case FILE -> "a file in " + memPath;
        };
    }
}
