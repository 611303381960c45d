package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.EventFd;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/**
 * Property on a real device: 100k random guest config writes through the model to the lab's nvme;
 * nothing throws, the device's host-owned bytes are unchanged (read through VFIO, bypassing the
 * model), and after a guest reset the device still answers an Identify with an interrupt.
 */
@LabTest
class RandomConfigWriteLabTest {

    @Test
    void hundredThousandRandomWrites(LabHost host) {
        try (LabRig r = new LabRig(host, LabDevice.NVME, "", true)) {
            int size = r.device.configSize();
            byte[] before = snapshot(r, size);
            List<int[]> volatileRanges = volatileRanges(r, before);
            Random random = new Random(0x5eed);
            for (int i = 0; i < 100_000; i++) {
                int width = 1 << random.nextInt(3);
                int offset = random.nextInt(size / width) * width;
                if (random.nextInt(4) == 0) {
                    offset = random.nextInt(0x40) & ~(width - 1);
                }
                r.model.configWrite(offset, width, random.nextInt());
            }
            byte[] after = snapshot(r, size);
            for (int off = 0; off < size; off++) {
                if (!inAny(volatileRanges, off)) {
                    assertEquals(before[off], after[off], String.format("host-owned config byte 0x%x changed", off));
                }
            }
            r.model.reset();
            try (NvmeAdmin nvme = new NvmeAdmin(r)) {
                EventFd vector0 = nvme.enableMsix();
                nvme.enableController();
                nvme.identify(vector0, 0x22);
            }
        }
    }

    private static byte[] snapshot(LabRig r, int size) {
        byte[] b = new byte[size];
        for (int off = 0; off < size; off += 4) {
            int v = r.device.readConfig(off, 4);
            for (int i = 0; i < 4; i++) {
                b[off + i] = (byte) (v >>> (8 * i));
            }
        }
        return b;
    }

    /**
     * Bytes that guest writes may legitimately change on the device, or the device/kernel changes on
     * its own: command/status, PM control/status, the MSI/MSI-X control words the kernel drives, and
     * the PCIe control/status registers. Listed from the spec, not from the model's table.
     */
    private static List<int[]> volatileRanges(LabRig r, byte[] config) {
        List<int[]> out = new ArrayList<>();
        out.add(new int[] {0x04, 0x08});
        int at = config[0x34] & 0xFC;
        for (int n = 0; at != 0 && n < 48; n++) {
            int id = config[at] & 0xFF;
            switch (id) {
                case CapabilityList.PM -> out.add(new int[] {at + 4, at + 8});
                case MsiCapability.ID -> out.add(new int[] {at + 2, at + 24});
                case MsixCapability.ID -> out.add(new int[] {at + 2, at + 4});
                case CapabilityList.EXP -> out.add(new int[] {at + 8, at + 0x14});
                default -> { }
            }
            at = config[at + 1] & 0xFC;
        }
        return out;
    }

    private static boolean inAny(List<int[]> ranges, int off) {
        for (int[] r : ranges) {
            if (off >= r[0] && off < r[1]) {
                return true;
            }
        }
        return false;
    }
}
