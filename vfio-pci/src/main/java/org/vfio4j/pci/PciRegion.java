package org.vfio4j.pci;

import java.lang.foreign.MemorySegment;
import java.util.List;

import org.vfio4j.common.RegionInfo;
import org.vfio4j.common.SparseArea;
import org.vfio4j.common.VfioRegion;

/**
 * A region of an assigned PCI device (BAR, ROM or config space) as vfio-pci uses it.
 *
 * <p>Why a subclass: vfio-common's {@link VfioRegion} already does the pread/pwrite and mmap; this
 * class only lets it be the model's {@link PciHostRegion}, so the guest model reaches the device
 * through the same object a user-level driver would, with nothing copied or re-wrapped.
 */
public final class PciRegion extends VfioRegion implements PciHostRegion {

    PciRegion(VfioPciDevice device, RegionInfo info) {
        super(device, info);
    }

    @Override
    public boolean mappable() {
        return info().mmappable() && !info().mmapAreas().isEmpty();
    }

    @Override
    public List<SparseArea> mmapAreas() {
        return info().mmapAreas();
    }

    @Override
    public MemorySegment map(SparseArea area) {
        return mmap(area);
    }
}
