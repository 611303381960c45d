package org.vfio4j.common;

import java.util.Set;

/**
 * {@code struct vfio_device_info} as returned by VFIO_DEVICE_GET_INFO.
 *
 * @param rawFlags   the flags word as the kernel returned it
 * @param numRegions max region index + 1
 * @param numIrqs    max IRQ index + 1
 */
public record DeviceInfo(int rawFlags, int numRegions, int numIrqs) {
    /** The flags as a set. */
    public Set<DeviceFlag> flags() {
        return DeviceFlag.of(rawFlags);
    }

    /** True when the flag is set. */
    public boolean has(DeviceFlag flag) {
        return (rawFlags & flag.bit()) != 0;
    }
}
