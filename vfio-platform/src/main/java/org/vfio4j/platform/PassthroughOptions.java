package org.vfio4j.platform;

import java.util.List;

/**
 * The user's choices for one assigned platform device.
 *
 * @param compatible  overrides the host node's {@code compatible} list when not empty ({@code compat=})
 * @param allowNoIommu accept a device in a no-IOMMU group ({@code x-no-iommu=on}); vfio4j then maps no
 *     guest memory for it, which does not stop the device itself from reaching any host memory
 * @param noMmap      trap every region access instead of mapping regions ({@code x-no-mmap}; for debugging)
 * @param allowDmaMasterWithoutIommu with {@code allowNoIommu}, also accept a device type known to master DMA
 *     ({@code x-no-iommu-unsafe-dma=on}): the guest can then read and write all host memory through it
 */
public record PassthroughOptions(List<String> compatible, boolean allowNoIommu, boolean noMmap,
        boolean allowDmaMasterWithoutIommu) {
    public PassthroughOptions {
        compatible = List.copyOf(compatible);
    }

    /** The same without the DMA-master opt-in. */
    public PassthroughOptions(List<String> compatible, boolean allowNoIommu, boolean noMmap) {
        this(compatible, allowNoIommu, noMmap, false);
    }

    /** No override, IOMMU required, regions mapped. */
    public static PassthroughOptions defaults() {
        return new PassthroughOptions(List.of(), false, false);
    }
}
