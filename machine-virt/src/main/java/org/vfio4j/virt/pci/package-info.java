/**
 * PCI on the virt machine: the root bus behind the ECAM window ({@link org.vfio4j.virt.pci.PciRootBus},
 * {@link org.vfio4j.virt.pci.Ecam}) and the {@code vfio-pci} device type, which gives a host PCI function
 * bound to vfio-pci to the guest through vfio-pci's {@code AssignedPciDevice} model.
 *
 * <p>The type checks the host from sysfs when the machine is created (driver, group viability, duplicates,
 * RLIMIT_MEMLOCK); the device is opened only when a guest runs ({@link org.vfio4j.virt.device.LiveDevice}),
 * in one VFIO container shared by every assigned group, with guest RAM DMA-mapped at IOVA = guest physical.
 */
@NonNullByDefault
package org.vfio4j.virt.pci;

import org.eclipse.jdt.annotation.NonNullByDefault;
