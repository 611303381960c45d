/**
 * The guest-facing model of an assigned PCI device: config-space virtualisation, BARs, MSI/MSI-X,
 * INTx and ROM on top of vfio-common.
 *
 * <p>Entry points: {@link org.vfio4j.pci.VfioPciDevice} (the host device, a vfio-common
 * {@code VfioDevice}) and {@link org.vfio4j.pci.AssignedPciDevice} (what the guest sees), created by
 * {@link org.vfio4j.pci.VfioPciDevice#plug}. A machine implements the consumer-side seams bundled in
 * {@link org.vfio4j.pci.PciMachine}: {@link org.vfio4j.pci.PciBarMapper} (map / unmap BAR areas),
 * vfio-common's {@code IrqRouter} (MSI vectors and the resampled INTx line),
 * {@link org.vfio4j.pci.PciIntxWiring} (pin to line, user-space level fallback) and
 * {@link org.vfio4j.pci.PciEventLoop} (watches and timers). The model reaches the device only
 * through {@link org.vfio4j.pci.PciHost}, which unit tests implement in memory.
 *
 * <p>Files by concern: {@code ConfigMasks}/{@code ConfigSpace} (the bit-ownership table and the
 * access engine), {@code StandardHeader}, {@code PciBar}/{@code BarMappings}/{@code BarTrap} (BARs),
 * {@code RomBar}, {@code CapabilityList} (walk and unlink), {@code MsiCapability},
 * {@code MsixCapability} (table and PBA), {@code InterruptVectors} (shared MSI/MSI-X vector state),
 * {@code IntxInterrupt}, {@code InterruptOwner}, {@code PciOptions}.
 */
@NonNullByDefault
package org.vfio4j.pci;

import org.eclipse.jdt.annotation.NonNullByDefault;
