package org.vfio4j.virt.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.virt.board.MmioRange;

class PlatformBusAllocatorTest {

    @Test
    void allocatesFirstFitAlignedAndInOrder() throws DeviceException {
        PlatformBusAllocator bus = new PlatformBusAllocator();
        PlatformAllocation a = bus.allocate("a", List.of(0x100L, 0x3000L), 3);
        assertEquals(List.of(new MmioRange(0xc000000L, 0x10000), new MmioRange(0xc010000L, 0x10000)), a.regions());
        assertEquals(List.of(112, 113, 114), a.spis());
        PlatformAllocation b = bus.allocate("b", List.of(0x30000L), 0);
        assertEquals(new MmioRange(0xc040000L, 0x30000), b.regions().getFirst(), "192K stays 192K, aligned to 256K");
        PlatformAllocation c = bus.allocate("c", List.of(4L << 20), 1);
        assertEquals(0xc200000L, c.regions().getFirst().base(), "large regions align to 2M");
        assertEquals(List.of(115), c.spis());
        assertEquals(List.of(a, b, c), bus.allocations());
        assertEquals(0x10000, a.busOffset(1));
    }

    @Test
    void exhaustionSaysWhatIsLeftAndAllocatesNothing() throws DeviceException {
        PlatformBusAllocator bus = new PlatformBusAllocator();
        bus.allocate("big", List.of(30L << 20), 60);
        DeviceException irq = assertThrows(DeviceException.class, () -> bus.allocate("x", List.of(0x1000L), 5));
        assertTrue(irq.getMessage().contains("x: needs 5 interrupts but the platform bus has 4 of its 64 SPIs left"), irq.getMessage());
        DeviceException mmio = assertThrows(DeviceException.class, () -> bus.allocate("y", List.of(4L << 20), 1));
        assertTrue(mmio.getMessage().contains("no room for a 4M region on the platform bus (2M of its 32M window"), mmio.getMessage());
        assertEquals(1, bus.allocations().size());
        assertEquals(List.of(172), bus.allocate("z", List.of(0x1000L), 1).spis());
    }

    @Test
    void nodeHelpersUseBusRelativeCells() throws DeviceException {
        PlatformAllocation a = new PlatformBusAllocator().allocate("d", List.of(0x1000L), 2);
        assertEquals("reg = <0x0 0x10000>;", a.reg().toString());
        assertEquals("interrupts = <0x0 0x70 0x4 0x0 0x71 0x1>;",
                a.interrupts(org.vfio4j.virt.board.Trigger.LEVEL_HIGH, org.vfio4j.virt.board.Trigger.EDGE_RISING).toString());
    }
}
