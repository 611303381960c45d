package org.vfio4j.common;

/** A {@link VfioRegion} with no bus-specific behaviour: the default of {@link VfioDevice#createRegion}. */
public final class PlainVfioRegion extends VfioRegion {
    /** A region of {@code device} described by {@code info}. */
    public PlainVfioRegion(VfioDevice device, RegionInfo info) {
        super(device, info);
    }
}
