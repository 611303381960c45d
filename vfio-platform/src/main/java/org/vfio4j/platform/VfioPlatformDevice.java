package org.vfio4j.platform;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;

import org.vfio4j.common.DeviceFlag;
import org.vfio4j.common.DeviceHandle;
import org.vfio4j.common.DmaMapping;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.IommuType;
import org.vfio4j.common.IrqInfo;
import org.vfio4j.common.RegionInfo;
import org.vfio4j.common.VfioDevice;
import org.vfio4j.common.VfioException;

/**
 * A platform or AMBA device owned through vfio-platform / vfio-amba: VFIO region i is the host node's
 * {@code reg} entry i, IRQ index i its {@code interrupts} entry i.
 *
 * <p>Why a subclass of {@link VfioDevice}: it refuses a device the kernel does not serve as platform/AMBA
 * (a PCI device opened by mistake), checks VFIO's view against the host device tree the guest's node was
 * written from, and owns the DMA policy: mappings go through {@link #mapDma}, which refuses every request for
 * a device in a no-IOMMU group and uses {@link #dmaPermissions()} (devices-calxeda adds EXEC).
 *
 * {@snippet :
 * try (VfioContainer c = VfioContainer.open();
 *      VfioGroup g = c.attach(host.group());
 *      VfioPlatformDevice dev = g.openDevice(host.name(), VfioPlatformDevice::new)) {
 *     dev.verify(host);
 *     int rtcData = dev.region(0).read32(0);
 * }
 * }
 */
public class VfioPlatformDevice extends VfioDevice {

    /** Opens the device behind {@code handle}; refuses one whose flags say neither PLATFORM nor AMBA. */
    public VfioPlatformDevice(DeviceHandle handle) {
        super(handle);
        if (!info().has(DeviceFlag.PLATFORM) && !info().has(DeviceFlag.AMBA)) {
            throw VfioException.refused("open " + handle.name() + " as a platform device", "VFIO reports flags "
                    + info().flags() + ", neither PLATFORM nor AMBA: bind platform devices to vfio-platform and AMBA "
                    + "devices to vfio-amba (PCI devices go to vfio-pci)");
        }
    }

    /** True when the kernel serves it through vfio-amba. */
    public final boolean amba() {
        return info().has(DeviceFlag.AMBA);
    }

    /**
     * Checks VFIO's regions and IRQs against the host facts the guest layout was made from: the same number of
     * regions with the {@code reg} sizes, the same number of IRQs, and level lines automasked.
     *
     * @throws PlatformSetupException naming the first disagreement
     */
    public final void verify(HostPlatformDevice host) {
        if (info().numRegions() != host.regSizes().size()) {
            throw new PlatformSetupException(name() + ": VFIO reports " + info().numRegions() + " regions, the host device "
                    + "tree's reg has " + host.regSizes().size() + " entries");
        }
        for (int i = 0; i < info().numRegions(); i++) {
            RegionInfo r = regionInfo(i);
            if (r.size() != host.regSizes().get(i)) {
                throw new PlatformSetupException(name() + ": VFIO region " + i + " is " + r.size() + " bytes, reg entry " + i
                        + " of the host node says " + host.regSizes().get(i));
            }
        }
        if (info().numIrqs() != host.triggers().size()) {
            throw new PlatformSetupException(name() + ": VFIO reports " + info().numIrqs() + " IRQs, the host node's "
                    + "interrupts has " + host.triggers().size());
        }
        for (int i = 0; i < info().numIrqs(); i++) {
            IrqInfo q = irqInfo(i);
            if (host.triggers().get(i).level() && !q.automasked()) {
                throw new PlatformSetupException(name() + ": IRQ " + i + " is level-triggered in the host device tree but "
                        + "VFIO does not automask it; level lines must be automasked to be resampled");
            }
        }
    }

    /** True when the group is in a no-IOMMU container: no isolation, so no DMA may be mapped. */
    public final boolean noIommu() {
        return group().flatMap(g -> g.container().iommuType()).orElse(IommuType.TYPE1V2) == IommuType.NOIOMMU;
    }

    /**
     * The permissions every DMA mapping for this device gets. Default read/write; a device whose firmware or
     * descriptors the device fetches as code (devices-calxeda) adds {@link DmaPermission#EXEC}.
     */
    protected Set<DmaPermission> dmaPermissions() {
        return DmaPermission.READ_WRITE;
    }

    /**
     * Maps guest memory {@code segment} at {@code iova} for this device's DMA, with {@link #dmaPermissions()}.
     *
     * @throws PlatformSetupException for a device in a no-IOMMU group, which must do no DMA
     */
    public final DmaMapping mapDma(Arena owner, MemorySegment segment, long iova) {
        ensureOpen();
        if (noIommu()) {
            throw new PlatformSetupException(name() + " is assigned without an IOMMU (x-no-iommu=on): refusing the DMA "
                    + "mapping of " + segment.byteSize() + " bytes at IOVA 0x" + Long.toHexString(iova) + ", because "
                    + "nothing would confine the device to it. Only devices that do no DMA may be assigned this way; "
                    + "assign a DMA-capable device only on a host whose IOMMU covers it");
        }
        return dmaSpace().map(owner, segment, iova, dmaPermissions());
    }
}
