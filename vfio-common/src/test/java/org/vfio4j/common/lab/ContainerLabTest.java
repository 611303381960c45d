package org.vfio4j.common.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.DmaBuffer;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.IommuInfo;
import org.vfio4j.common.IommuType;
import org.vfio4j.common.PlainVfioDevice;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabResult;
import org.vfio4j.lab.LabTest;

/** Container-level behaviour against the real kernel: IOMMU choice and info, several groups, clean release. */
@LabTest
class ContainerLabTest {
    @Test
    void type1v2WithIovaRangesAndDmaAvailability(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        DmaBuffer forgotten;
        try (VfioContainer c = VfioContainer.open()) {
            assertEquals(VfioAbi.VFIO_API_VERSION, c.apiVersion());
            assertTrue(c.checkExtension(VfioAbi.VFIO_TYPE1v2_IOMMU));
            assertTrue(c.iommuType().isEmpty(), "no backend before the first group");
            try (VfioGroup g = c.attach(group)) {
                assertTrue(g.status().viable() && g.status().containerSet());
                assertEquals(IommuType.TYPE1V2, c.iommuType().orElseThrow());
                IommuInfo info = c.iommuInfo();
                assertEquals(4096, info.minPageSize());
                assertFalse(info.iovaRanges().isEmpty(), "Type1v2 reports valid IOVA ranges");
                assertTrue(info.dmaAvailable().isPresent());
                int before = info.dmaAvailable().getAsInt();
                try (DmaBuffer b = c.allocate(4096, DmaPermission.READ_WRITE)) {
                    assertEquals(before - 1, c.iommuInfo().dmaAvailable().getAsInt(), "one mapping used");
                }
                assertEquals(before, c.iommuInfo().dmaAvailable().getAsInt(), "and given back");
                forgotten = c.allocate(4096, DmaPermission.READ_WRITE);
            }
            assertTrue(c.iommuType().isEmpty(), "the last group out releases the IOMMU backend");
            assertFalse(forgotten.mapping().isLive(), "the kernel dropped the mapping with the last group");
        }
        DmaBuffer f = forgotten;
        assertThrows(IllegalStateException.class, () -> f.segment().get(ValueLayout.JAVA_BYTE, 0),
                "closing the container freed the buffer it allocated");
    }

    @Test
    void twoGroupsShareOneContainerAndOneAddressSpace(LabHost host) {
        int eduGroup = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        int nvmeGroup = Integer.parseInt(host.bindToVfio(LabDevice.NVME));
        assertTrue(eduGroup != nvmeGroup);
        try (VfioContainer c = VfioContainer.open()) {
            VfioGroup ge = c.attach(eduGroup);
            VfioGroup gn = c.attach(nvmeGroup);
            assertEquals(List.of(ge, gn), c.groups());
            PlainVfioDevice nvme = gn.openDevice(LabDevice.NVME.bdf());
            try (Edu edu = new Edu(ge.openDevice(LabDevice.EDU.bdf()));
                    DmaBuffer src = c.allocate(4096, DmaPermission.READ_WRITE);
                    DmaBuffer dst = c.allocate(4096, DmaPermission.READ_WRITE)) {
                assertEquals("ROUNDTRIP OK", EduRoundTripMain.roundTrip(edu, src, dst, 7));
                assertEquals(0x1b36, nvme.region(VfioAbi.VFIO_PCI_CONFIG_REGION_INDEX).read16(0));
            }
            gn.close();
            assertTrue(nvme.isClosed(), "closing a group closes its devices");
            assertEquals(List.of(ge), c.groups());
        }
        // Everything released: the groups can be opened again at once, and no fd of ours is left on them.
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(eduGroup)) {
            assertTrue(g.status().viable());
        }
        LabResult fds = host.sh("ls -l /proc/" + ProcessHandle.current().pid() + "/fd");
        assertFalse(fds.output().contains("/dev/vfio/"), "leaked VFIO fds:\n" + fds.output());
    }
}
