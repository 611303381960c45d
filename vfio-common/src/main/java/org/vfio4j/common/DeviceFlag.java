package org.vfio4j.common;

import java.util.EnumSet;
import java.util.Set;

import org.vfio4j.common.sys.VfioAbi;

/** The {@code VFIO_DEVICE_FLAGS_*} bits: which bus driver serves the device and whether it can be reset. */
public enum DeviceFlag {
    RESET(VfioAbi.VFIO_DEVICE_FLAGS_RESET), PCI(VfioAbi.VFIO_DEVICE_FLAGS_PCI),
    PLATFORM(VfioAbi.VFIO_DEVICE_FLAGS_PLATFORM), AMBA(VfioAbi.VFIO_DEVICE_FLAGS_AMBA),
    CCW(VfioAbi.VFIO_DEVICE_FLAGS_CCW), AP(VfioAbi.VFIO_DEVICE_FLAGS_AP), FSL_MC(VfioAbi.VFIO_DEVICE_FLAGS_FSL_MC),
    CAPS(VfioAbi.VFIO_DEVICE_FLAGS_CAPS);

    private final int bit;

    DeviceFlag(int bit) {
        this.bit = bit;
    }

    /** The kernel's bit for this flag. */
    public int bit() {
        return bit;
    }

    /** The flags set in {@code raw}. */
    public static Set<DeviceFlag> of(int raw) {
        EnumSet<DeviceFlag> s = EnumSet.noneOf(DeviceFlag.class);
        for (DeviceFlag f : values()) {
            if ((raw & f.bit) != 0) {
                s.add(f);
            }
        }
        return s;
    }
}
