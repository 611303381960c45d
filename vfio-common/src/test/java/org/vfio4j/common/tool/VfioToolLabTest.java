package org.vfio4j.common.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.IommuGroups;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/** {@code vfio4j groups} and {@code vfio4j info} against the lab host's real sysfs and VFIO. */
@LabTest
class VfioToolLabTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        VfioTool tool = new VfioTool(IommuGroups.system(), Path.of("/dev/vfio"), new PrintStream(out, true, StandardCharsets.UTF_8));
        return VfioTool.run(args, tool, new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void groupsShowsTheLabTopology(LabHost host) {
        String eduGroup = host.bindToVfio(LabDevice.EDU);
        assertEquals(0, run("groups"), err.toString(StandardCharsets.UTF_8));
        String o = out.toString(StandardCharsets.UTF_8);
        assertTrue(o.contains("group " + eduGroup + "  /dev/vfio/" + eduGroup + "  viable"), o);
        assertTrue(o.contains(LabDevice.BRIDGE_E1000.bdf() + "     8086:100e 0x020000   pci       e1000  <- blocks"), o);
        assertEquals(0, run("groups", "--json"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("\"name\": \"" + LabDevice.NVME.bdf() + "\""));
    }

    @Test
    void infoShowsRegionsIrqsAndIommu(LabHost host) {
        host.bindToVfio(LabDevice.EDU);
        assertEquals(0, run("info", LabDevice.EDU.bdf()), err.toString(StandardCharsets.UTF_8));
        String o = out.toString(StandardCharsets.UTF_8);
        assertTrue(o.contains("iommu TYPE1V2") && o.contains("flags [PCI]"), o); // edu: conventional PCI, no FLR or PM reset
        assertTrue(o.matches("(?s).*0 +BAR0 +size 0x100000 .*rwm.*"), o);
        assertTrue(o.matches("(?s).*1 +MSI +count 1 .*"), o);
        assertTrue(o.contains("valid IOVA [[0x0, 0xfedfffff], [0xfef00000,"), o);
        // A device still on its host driver: told how to move it, exit status 1, no stack trace.
        host.bindToHostDriver(LabDevice.E1000E);
        assertEquals(1, run("info", LabDevice.E1000E.bdf()));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("is bound to e1000e, not vfio-pci; bind it first: echo vfio-pci > /sys/bus/pci/devices/"
                + LabDevice.E1000E.bdf() + "/driver_override"), e);
        assertTrue(!e.contains("\tat "), e);
    }

    /**
     * nvme -> vfio-pci -> nvme with the namespace usable again, and a namespace the host swaps to refused until
     * swap is off. The namespace appears a moment after the driver binds (the nvme driver probes
     * asynchronously): the shell polls for it, for at most 10 s.
     */
    @Test
    void bindAndUnbindMoveTheNvmeAndRefuseItWhileMounted(LabHost host) {
        host.bindToHostDriver(LabDevice.NVME);
        String nvme = LabDevice.NVME.bdf();
        String waitForNamespace = "for i in $(seq 100); do [ -b /dev/nvme0n1 ] && break; sleep 0.1; done; ";
        // swap, because the x86 lab's Debian kernel has its filesystems as modules it does not load
        var swap = host.sh(waitForNamespace + "mkswap /dev/nvme0n1 2>&1 && swapon /dev/nvme0n1 2>&1");
        assertTrue(swap.ok(), swap.output());
        try {
            assertEquals(1, run("bind", nvme));
            String refused = err.toString(StandardCharsets.UTF_8);
            assertTrue(refused.contains("/dev/nvme0n1 is an active swap device") && refused.contains("--force"), refused);
            assertEquals("nvme", host.driver(LabDevice.NVME), "nothing changed");
        } finally {
            host.sh("swapoff /dev/nvme0n1");
        }
        assertEquals(0, run("bind", nvme, "--json"), err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("\"from\": \"nvme\",\n    \"to\": \"vfio-pci\""),
                out.toString(StandardCharsets.UTF_8));
        assertEquals("vfio-pci", host.driver(LabDevice.NVME));
        assertEquals(0, run("unbind", nvme), err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains(nvme + ": vfio-pci -> nvme"), out.toString(StandardCharsets.UTF_8));
        assertEquals("nvme", host.driver(LabDevice.NVME));
        var read = host.sh(waitForNamespace + "dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=16 iflag=direct 2>&1");
        assertTrue(read.ok() && read.output().contains("65536 bytes"), "the namespace does not read after unbind:\n"
                + read.output());
    }
}
