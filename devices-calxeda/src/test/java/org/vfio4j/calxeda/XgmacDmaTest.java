package org.vfio4j.calxeda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.FakeVfioKernel;
import org.vfio4j.common.GuestContainer;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.platform.AssignedPlatformDevice;
import org.vfio4j.platform.FakeIrq;
import org.vfio4j.platform.GuestMmio;
import org.vfio4j.platform.GuestPlacement;
import org.vfio4j.platform.HostPlatformDevice;
import org.vfio4j.platform.HostTrigger;
import org.vfio4j.platform.MmioHandler;
import org.vfio4j.platform.PassthroughOptions;
import org.vfio4j.platform.SyntheticSysfs;

/**
 * The xgmac's DMA on a fake VFIO kernel: started beside a PCI device, it joins the machine's one container,
 * guest RAM is mapped once at IOVA = guest physical with the union of what the two asked for (the xgmac's
 * EXEC, which Type1 grants without a flag of its own), and at teardown RAM is unmapped before the container
 * closes and before the RAM is freed. In a no-IOMMU group it gets a container of its own and no mapping.
 * What this cannot show is the kernel's side: no platform device sits behind an SMMU in the labs.
 */
class XgmacDmaTest {
    private static final long RAM_BASE = 0x4000_0000L;
    private static final long RAM_SIZE = 32L << 20;
    private static final String XGMAC = "fff50000.ethernet";
    private static final int LEVEL_IRQ = VfioAbi.VFIO_IRQ_INFO_EVENTFD | VfioAbi.VFIO_IRQ_INFO_MASKABLE
            | VfioAbi.VFIO_IRQ_INFO_AUTOMASKED;

    /** The xgmac's model from a synthetic host, its group {@code group} on {@code k}. */
    private static CalxedaXgmac xgmac(Path dir, FakeVfioKernel k, int group, boolean noIommu) throws Exception {
        SyntheticSysfs s = new SyntheticSysfs(dir);
        Path dev = s.device("platform", XGMAC, "vfio-platform", group, noIommu, new String[] {"calxeda,hb-xgmac"},
                new long[] {0xfff50000L, 0x1000}, SyntheticSysfs.LEVEL, SyntheticSysfs.LEVEL, SyntheticSysfs.LEVEL);
        Files.createDirectories(s.sys.resolve("module/" + ResetModule.NAME));
        FakeVfioKernel.Group g = k.group(group);
        if (noIommu) {
            g.noIommu();
        }
        g.device(XGMAC, VfioAbi.VFIO_DEVICE_FLAGS_PLATFORM | VfioAbi.VFIO_DEVICE_FLAGS_RESET).region(0x1000)
                .irq(1, LEVEL_IRQ).irq(1, LEVEL_IRQ).irq(1, LEVEL_IRQ);
        return new CalxedaXgmac(HostPlatformDevice.at(dev), new PassthroughOptions(List.of(), noIommu, false, noIommu));
    }

    private static final GuestPlacement PLACEMENT = new GuestPlacement() {
        @Override
        public List<Long> regionBases() {
            return List.of(0x0c00_0000L);
        }

        @Override
        public List<GuestInterrupt.Line> lines() {
            return List.of(new GuestInterrupt.Line(112), new GuestInterrupt.Line(113), new GuestInterrupt.Line(114));
        }

        @Override
        public DtNode.Builder nodeBuilder(String name, List<String> compatible, List<HostTrigger> triggers) {
            throw new AssertionError("the node is written at layout, not at start");
        }
    };

    /** Guest MMIO that records what it was asked to trap or map. */
    private static final class Mmio implements GuestMmio {
        final List<String> calls = new ArrayList<>();

        @Override
        public MmioMapping map(String what, long guestAddress, MemorySegment host) {
            calls.add("map " + what + " at 0x" + Long.toHexString(guestAddress));
            return () -> calls.add("unmap " + what);
        }

        @Override
        public MmioMapping trap(String what, long guestAddress, long size, MmioHandler handler) {
            calls.add("trap " + what + " at 0x" + Long.toHexString(guestAddress));
            return () -> calls.add("untrap " + what);
        }
    }

    @Test
    void theXgmacAndAPciDeviceShareOneContainerAndOneMappingOfRam(@TempDir Path dir) throws Exception {
        FakeVfioKernel k = new FakeVfioKernel();
        CalxedaXgmac model = xgmac(dir, k, 3, false);
        k.group(5).device("0000:01:00.0", VfioAbi.VFIO_DEVICE_FLAGS_PCI).region(0x4000);
        Arena ramArena = Arena.ofShared();
        MemorySegment ram = ramArena.allocate(RAM_SIZE, 2 << 20);
        GuestContainer vfio = k.guestContainer(ram, RAM_BASE, GuestContainer.Listener.NONE);
        Mmio mmio = new Mmio();

        GuestContainer.Membership pci = vfio.join(5, DmaPermission.READ_WRITE);
        pci.group().openDevice("0000:01:00.0");
        AssignedPlatformDevice eth = model.start(PLACEMENT, mmio, new FakeIrq.Router(true), new FakeIrq.Lines(), vfio);

        assertSame(pci.group().container(), eth.device().group().orElseThrow().container(), "one container for both");
        assertEquals(List.of(new FakeVfioKernel.Mapping(RAM_BASE, RAM_SIZE, ram.address(),
                VfioAbi.VFIO_DMA_MAP_FLAG_READ | VfioAbi.VFIO_DMA_MAP_FLAG_WRITE)), k.mappings(),
                "all of guest RAM, once, at the guest physical address");
        assertEquals(Set.of(DmaPermission.READ, DmaPermission.WRITE, DmaPermission.EXEC), vfio.permissions(),
                "the xgmac's EXEC is part of the grant");
        assertEquals(1, k.calls().stream().filter(c -> c.startsWith("VFIO_IOMMU_MAP_DMA")).count(),
                "the xgmac joining later adds no flag, so RAM is not remapped: " + k.calls());
        assertEquals(List.of("trap " + XGMAC + " region 0 +0x0 at 0xc000000"), mmio.calls);

        eth.close();
        assertEquals(1, k.mappings().size(), "the PCI device still needs RAM mapped");
        assertTrue(k.calls().contains("close device " + XGMAC));
        pci.close();
        k.note("RAM freed");
        ramArena.close();

        List<String> calls = k.calls();
        int unmap = calls.indexOf("VFIO_IOMMU_UNMAP_DMA iova=0x40000000 size=0x2000000");
        assertTrue(unmap > calls.indexOf("close device " + XGMAC) && unmap < calls.indexOf("close container")
                && calls.indexOf("close container") < calls.indexOf("RAM freed"), calls.toString());
        assertEquals(0, k.openFds());
    }

    @Test
    void inANoIommuGroupItHasAContainerOfItsOwnAndNoMapping(@TempDir Path dir) throws Exception {
        FakeVfioKernel k = new FakeVfioKernel();
        CalxedaXgmac model = xgmac(dir, k, 3, true);
        try (Arena a = Arena.ofConfined()) {
            GuestContainer vfio = k.guestContainer(a.allocate(RAM_SIZE, 2 << 20), RAM_BASE, GuestContainer.Listener.NONE);
            try (AssignedPlatformDevice eth = model.start(PLACEMENT, new Mmio(), new FakeIrq.Router(true),
                    new FakeIrq.Lines(), vfio)) {
                assertTrue(eth.device().noIommu());
                assertEquals(null, vfio.container(), "the machine's container was not even opened");
            }
        }
        assertTrue(k.calls().contains("VFIO_SET_IOMMU NOIOMMU"), k.calls().toString());
        assertTrue(k.calls().stream().noneMatch(c -> c.startsWith("VFIO_IOMMU_MAP_DMA")), k.calls().toString());
        assertEquals(0, k.openFds());
    }
}
