package org.vfio4j.common;

/**
 * A device affected by a PCI hot reset of another ({@code struct vfio_pci_dependent_device}).
 *
 * @param groupId the IOMMU group the device is in
 * @param segment PCI segment (domain)
 * @param bus     bus number
 * @param devfn   device and function ({@code slot << 3 | function})
 */
public record PciDependentDevice(int groupId, int segment, int bus, int devfn) {
    /** The address in sysfs form, {@code 0000:00:04.0}. */
    public String bdf() {
        return String.format("%04x:%02x:%02x.%x", segment, bus, devfn >> 3, devfn & 7);
    }
}
