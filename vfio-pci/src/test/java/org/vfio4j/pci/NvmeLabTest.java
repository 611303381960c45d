package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.EventFd;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/**
 * The model against the lab's real QEMU nvme through the real kernel VFIO: a test-side guest sizes
 * and programs the 64-bit BAR0, checks what is protected, enables bus mastering and MSI-X, and
 * gets an Identify completion interrupt on the routed eventfd, through mmap and through traps.
 */
@LabTest
class NvmeLabTest {

    private static String sysfs(String file) throws Exception {
        return Files.readString(Path.of("/sys/bus/pci/devices", LabDevice.NVME.bdf(), file)).strip();
    }

    @Test
    void barsIdsAndProtectedBits(LabHost host) throws Exception {
        try (LabRig r = new LabRig(host, LabDevice.NVME, "", true)) {
            assertEquals(Integer.decode(sysfs("vendor")), r.read(0, 2));
            assertEquals(Integer.decode(sysfs("device")), r.read(2, 2));
            long size = r.device.hostRegion(0).orElseThrow().size();
            assertEquals(0x4, r.read(0x10, 4) & 0xF, "64-bit memory BAR");
            long mask = r.sizeBar(0, true);
            assertEquals(~(size - 1) | 0x4, mask, "sizing answered from the region size");
            int ids = r.device.readConfig(0, 4);
            int klass = r.device.readConfig(8, 4);
            r.write(0, 4, -1);
            r.write(8, 4, -1);
            r.write(0x2C, 4, -1);
            assertEquals(ids, r.read(0, 4));
            assertEquals(ids, r.device.readConfig(0, 4), "ids resist writes on the device");
            assertEquals(klass, r.device.readConfig(8, 4));
            r.write(0x10, 4, 0xFE00_0000);
            r.write(0x14, 4, 0);
            r.command(StandardHeader.CMD_MEMORY);
            assertEquals(0xFE00_0000L, r.model.barAddress(0));
            assertTrue(r.model.barDirect(0), "registers mapped straight to the device");
            long version = r.machine.read(BarSpace.MEMORY, 0xFE00_0008L, 4);
            assertEquals(r.device.hostRegion(0).orElseThrow().read(8, 4), version, "VS through the mapping");
            assertTrue(version >= 0x0001_0000L, "an NVMe 1.x version register");
            assertFalse(r.capabilityIds().isEmpty());
            assertTrue(r.capabilityIds().stream().allMatch(CapabilityList.KEPT::contains), r.model.capabilities().toString());
            int romReg = r.read(RomBar.REGISTER, 4);
            r.write(RomBar.REGISTER, 4, -1);
            long romSize = r.device.hostRegion(RomBar.REGION).map(PciHostRegion::size).orElse(0L);
            if (romSize == 0) {
                assertEquals(0, r.read(RomBar.REGISTER, 4), "no ROM: the ROM BAR reads zero");
            }
            r.write(RomBar.REGISTER, 4, romReg);
        }
    }

    private static void identifyWithInterrupt(LabHost host, String options) {
        try (LabRig r = new LabRig(host, LabDevice.NVME, options, true); NvmeAdmin nvme = new NvmeAdmin(r)) {
            EventFd vector0 = nvme.enableMsix();
            assertEquals(options.contains("x-no-mmap"), !r.model.barDirect(0));
            nvme.enableController();
            nvme.identify(vector0, 0x11);
            assertFalse(r.machine.msiRoutes().isEmpty());
        }
    }

    @Test
    void identifyCompletesWithMsixThroughMmap(LabHost host) {
        identifyWithInterrupt(host, "");
    }

    @Test
    void identifyCompletesWithMsixThroughTraps(LabHost host) {
        identifyWithInterrupt(host, ",x-no-mmap");
    }

    /**
     * Vector 3 is unmasked while vector 0 is live, so the host's MSI-X index must grow (added
     * dynamically, or re-enabled on a NORESIZE kernel): both vectors must deliver afterwards.
     */
    @Test
    void vectorsAddedWhileOthersAreLiveAllDeliver(LabHost host) {
        vectorsAddedWhileOthersAreLive(host, false);
    }

    /** The same on the seed's path: the index disabled and re-enabled with more vectors. */
    @Test
    void vectorsAddedByReEnablingTheIndexAllDeliver(LabHost host) {
        vectorsAddedWhileOthersAreLive(host, true);
    }

    private static void vectorsAddedWhileOthersAreLive(LabHost host, boolean noResize) {
        try (LabRig r = new LabRig(host, LabDevice.NVME, "", true, noResize); NvmeAdmin nvme = new NvmeAdmin(r)) {
            EventFd vector0 = nvme.enableMsix();
            nvme.enableController();
            nvme.identify(vector0, 0x11);
            EventFd vector3 = nvme.unmask(3);
            nvme.createIoQueues(vector0, 3);
            nvme.flush(vector3, 0x41);
            nvme.flush(vector3, 0x42);
            nvme.identify(vector0, 0x12);
        }
    }

    @Test
    void intxOffHidesThePinAndLeavesVfioIntxAlone(LabHost host) {
        try (LabRig r = new LabRig(host, LabDevice.NVME, "", true)) {
            assertEquals(1, r.read(StandardHeader.INTERRUPT_PIN, 1));
            assertTrue(r.machine.intxRoute() != null, "INTx routed with resampling by default");
        }
        try (LabRig r = new LabRig(host, LabDevice.NVME, ",x-intx=off", true)) {
            assertEquals(0, r.read(StandardHeader.INTERRUPT_PIN, 1));
            r.write(StandardHeader.INTERRUPT_PIN, 1, 1);
            assertEquals(0, r.read(StandardHeader.INTERRUPT_PIN, 1));
            assertTrue(r.machine.routes.isEmpty(), "no INTx route");
        }
    }

    @Test
    void closeLetsTheGroupBeReopenedAtOnce(LabHost host) {
        for (int i = 0; i < 3; i++) {
            try (LabRig r = new LabRig(host, LabDevice.NVME, "", true)) {
                assertEquals(0x1b36, r.read(0, 2));
            }
        }
    }
}
