package org.vfio4j.virt;

/**
 * A {@code -object iommufd,id=ID[,fd=N]}: an iommufd that {@code -device vfio-pci,...,iommufd=ID} devices join
 * through their cdevs, instead of the VFIO container.
 *
 * @param id its id
 * @param fd an iommufd opened by whoever started the VMM and handed in (QEMU's {@code fd=}), or -1 to open
 *           {@code /dev/iommu}
 */
public record IommufdObject(String id, int fd) {
    /** True when the fd was handed in. */
    public boolean handedIn() {
        return fd >= 0;
    }
}
