package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.common.sys.VfioAbi.DependentDevice;
import org.vfio4j.common.sys.VfioAbi.HotResetInfo;

/** VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: ask with no room, get ENOSPC and the count, ask again. */
final class HotResetQuery {
    private HotResetQuery() {
    }

    static List<PciDependentDevice> query(Kernel kernel, int fd, String device) {
        int count = 0;
        for (int attempt = 0; attempt < 3; attempt++) {
            long size = HotResetInfo.LAYOUT.byteSize() + count * DependentDevice.LAYOUT.byteSize();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(size, 8);
                HotResetInfo.ARGSZ.set(s, (int) size);
                int r = kernel.ioctl(fd, VfioAbi.VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, s);
                int got = (int) HotResetInfo.COUNT.get(s);
                if (r == -Errno.ENOSPC && got > count) {
                    count = got;
                    continue;
                }
                if (r < 0) {
                    throw new VfioException("VFIO_DEVICE_GET_PCI_HOT_RESET_INFO of " + device, -r,
                            -r == Errno.ENODEV ? "the device cannot be reset through its bus (no slot or bus reset)" : "");
                }
                List<PciDependentDevice> out = new ArrayList<>();
                for (int i = 0; i < got; i++) {
                    MemorySegment d = s.asSlice(HotResetInfo.LAYOUT.byteSize() + i * DependentDevice.LAYOUT.byteSize());
                    out.add(new PciDependentDevice((int) DependentDevice.GROUP_ID.get(d),
                            Short.toUnsignedInt((short) DependentDevice.SEGMENT.get(d)),
                            Byte.toUnsignedInt((byte) DependentDevice.BUS.get(d)),
                            Byte.toUnsignedInt((byte) DependentDevice.DEVFN.get(d))));
                }
                return out;
            }
        }
        throw VfioException.refused("VFIO_DEVICE_GET_PCI_HOT_RESET_INFO of " + device, "the device count kept changing");
    }
}
