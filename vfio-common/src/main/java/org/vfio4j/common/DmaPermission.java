package org.vfio4j.common;

import java.util.Set;

import org.vfio4j.common.sys.VfioAbi;

/**
 * What a device may do with a DMA mapping.
 *
 * <p><b>How these map onto the running kernel.</b> Upstream VFIO type1 (linux/vfio.h) has exactly two
 * permission bits, {@code VFIO_DMA_MAP_FLAG_READ} and {@code VFIO_DMA_MAP_FLAG_WRITE}; the kernel turns them
 * into {@code IOMMU_READ}/{@code IOMMU_WRITE} and never passes {@code IOMMU_NOEXEC}. The 2014 RFC "Add
 * EXEC_FLAG to VFIO DMA mappings" proposed a {@code VFIO_DMA_MAP_FLAG_NOEXEC} bit (1 &lt;&lt; 2) and an
 * extension to probe it; it was never merged, and bit 2 is now {@code VFIO_DMA_MAP_FLAG_VADDR} (since Linux
 * 5.12), so sending the RFC's bit would ask for something else entirely. Hence:
 * <ul>
 * <li>{@link #READ}, {@link #WRITE}: passed to the kernel as READ/WRITE and enforced by the IOMMU.</li>
 * <li>{@link #EXEC}: honoured, because type1 mappings are always executable where the IOMMU distinguishes
 * execution (e.g. an Arm SMMU): instruction fetch is a read, so EXEC requires {@link #READ} and is refused
 * without it rather than silently granting or denying it.</li>
 * <li>{@link #NO_EXEC}: a request that the device must <em>not</em> execute from the mapping. No upstream
 * uAPI can express it (nothing to probe: no extension id was ever assigned), so
 * {@link VfioContainer#map} refuses it with an explanation instead of pretending.</li>
 * <li>Neither EXEC nor NO_EXEC: the kernel's default, which on type1 is executable.</li>
 * </ul>
 */
public enum DmaPermission {
    /** The device may read the memory. */
    READ,
    /** The device may write the memory. */
    WRITE,
    /** The device may execute from the memory (needs READ). */
    EXEC,
    /** The device must not execute from the memory; refused on kernels without a no-exec DMA flag (all upstream). */
    NO_EXEC;

    /** The shorthand most drivers want. */
    public static final Set<DmaPermission> READ_WRITE = Set.of(READ, WRITE);

    /**
     * The VFIO_DMA_MAP flags for {@code perms}, or a refusal naming what cannot be honoured.
     *
     * @param noExecSupported whether the container can express NO_EXEC (false on every upstream kernel)
     */
    static int mapFlags(Set<DmaPermission> perms, boolean noExecSupported) {
        if (perms == READ_WRITE) {
            return VfioAbi.VFIO_DMA_MAP_FLAG_READ | VfioAbi.VFIO_DMA_MAP_FLAG_WRITE; // the common case, no checks needed
        }
        String op = "DMA map with permissions " + perms;
        if (!perms.contains(READ) && !perms.contains(WRITE)) {
            throw VfioException.refused(op, "a mapping needs READ, WRITE or both; the IOMMU has no 'no access' mapping");
        }
        if (perms.contains(EXEC) && perms.contains(NO_EXEC)) {
            throw VfioException.refused(op, "EXEC and NO_EXEC contradict each other; choose one");
        }
        if (perms.contains(EXEC) && !perms.contains(READ)) {
            throw VfioException.refused(op, "EXEC needs READ: instruction fetch is a read, and VFIO type1 cannot "
                    + "grant execute without read. Add READ");
        }
        if (perms.contains(NO_EXEC) && !noExecSupported) {
            throw VfioException.refused(op, "the running kernel's VFIO type1 uAPI has no no-exec DMA flag "
                    + "(only VFIO_DMA_MAP_FLAG_READ/WRITE; the RFC's NOEXEC bit 1<<2 was never merged and is now "
                    + "VFIO_DMA_MAP_FLAG_VADDR), so type1 mappings are always executable by the device. Drop NO_EXEC "
                    + "if that is acceptable, or do not map this memory");
        }
        int flags = 0;
        if (perms.contains(READ)) {
            flags |= VfioAbi.VFIO_DMA_MAP_FLAG_READ;
        }
        if (perms.contains(WRITE)) {
            flags |= VfioAbi.VFIO_DMA_MAP_FLAG_WRITE;
        }
        return flags;
    }
}
