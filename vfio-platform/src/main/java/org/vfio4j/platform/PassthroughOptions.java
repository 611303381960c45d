package org.vfio4j.platform;

import java.util.List;

/**
 * The user's choices for one assigned platform device.
 *
 * @param compatible  overrides the host node's {@code compatible} list when not empty ({@code compat=})
 * @param allowNoIommu accept a device in a no-IOMMU group ({@code x-no-iommu=on}); it then gets no DMA
 * @param noMmap      trap every region access instead of mapping regions ({@code x-no-mmap}; for debugging)
 */
public record PassthroughOptions(List<String> compatible, boolean allowNoIommu, boolean noMmap) {
    public PassthroughOptions {
        compatible = List.copyOf(compatible);
    }

    /** No override, IOMMU required, regions mapped. */
    public static PassthroughOptions defaults() {
        return new PassthroughOptions(List.of(), false, false);
    }
}
