package org.vfio4j.virt.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;

/** The routing bookkeeping against a recording stand-in for the VM's ioctls (real eventfds). */
class KvmIrqRoutingTest {
    private final List<String> calls = new ArrayList<>();
    private List<GsiRoute> table = List.of();
    /** How many of the next KVM_SET_GSI_ROUTING calls fail, as KVM does with a table it will not take. */
    private int failRouting;
    private final IrqfdOps ops = new IrqfdOps() {
        @Override
        public void setGsiRouting(List<GsiRoute> routes) {
            if (failRouting > 0) {
                failRouting--;
                calls.add("routing refused");
                throw new KvmException("KVM_SET_GSI_ROUTING", 22, "test");
            }
            table = List.copyOf(routes);
            calls.add("routing " + routes.size());
        }

        @Override
        public void irqfd(EventFd trigger, int gsi, @Nullable EventFd resample) {
            calls.add("irqfd " + gsi + (resample != null ? " resample" : ""));
        }

        @Override
        public void irqfdDeassign(EventFd trigger, int gsi) {
            calls.add("deassign " + gsi);
        }
    };
    private final EventFd trigger = EventFd.create();
    private final EventFd resample = EventFd.create();

    @AfterEach
    void close() {
        trigger.close();
        resample.close();
    }

    @Test
    void msiRoutesGetGsisAboveTheSpisCarryTheDeviceIdAndKeepTheSpiRoutes() {
        KvmIrqRouting routing = new KvmIrqRouting(ops, 256, true);
        IrqRouter r = routing.router(0x0108);
        IrqRoute route = r.routeEdge(new GuestInterrupt.Msi(0x0809_0040L, 33), trigger);
        assertEquals(List.of("routing 257", "irqfd 256"), calls);
        GsiRoute msi = table.get(256);
        assertEquals(GsiRoute.msi(256, 0x0809_0040L, 33, 0x0108), msi);
        assertEquals(GsiRoute.spi(5, 5), table.get(5), "SPI routes stay in the table KVM gets");

        route.retarget(new GuestInterrupt.Msi(0x0809_0040L, 34));
        assertEquals(34, table.get(256).msiData());
        assertEquals(List.of("routing 257", "irqfd 256", "routing 257"), calls, "retarget rewrites the route, keeps the irqfd");

        route.close();
        assertEquals("deassign 256", calls.get(3));
        assertEquals(256, table.size(), "the MSI route is gone");
        route.close();
        assertEquals(5, calls.size(), "closing twice does nothing more");
        assertThrows(IllegalStateException.class, () -> route.retarget(new GuestInterrupt.Msi(0, 0)));
    }

    @Test
    void freedMsiGsisAreReused() {
        KvmIrqRouting routing = new KvmIrqRouting(ops, 32, true);
        IrqRouter r = routing.router(1);
        IrqRoute a = r.routeEdge(new GuestInterrupt.Msi(0x1000, 1), trigger);
        IrqRoute b = r.routeEdge(new GuestInterrupt.Msi(0x1000, 2), resample);
        assertEquals(34, table.size());
        a.close();
        IrqRoute c = r.routeEdge(new GuestInterrupt.Msi(0x1000, 3), trigger);
        assertTrue(calls.contains("irqfd 32") && calls.lastIndexOf("irqfd 32") > calls.indexOf("irqfd 33"), calls.toString());
        b.close();
        c.close();
    }

    @Test
    void levelLinesUseTheSpiAsGsiWithAResampleFdAndNoRoutingChange() {
        KvmIrqRouting routing = new KvmIrqRouting(ops, 256, true);
        IrqRouter r = routing.router(0);
        assertTrue(r.supportsResample());
        IrqRoute line = r.routeLevel(new GuestInterrupt.Line(113), trigger, resample);
        assertEquals(List.of("irqfd 113 resample"), calls);
        line.retarget(new GuestInterrupt.Line(114));
        assertEquals(List.of("irqfd 113 resample", "deassign 113", "irqfd 114 resample"), calls);
        line.close();
        assertEquals("deassign 114", calls.get(3));
        assertThrows(IllegalArgumentException.class, () -> r.routeEdge(new GuestInterrupt.Line(256), trigger),
                "beyond the vGIC's SPIs");
    }

    @Test
    void withoutResampleLevelRoutingIsRefusedClearly() {
        IrqRouter r = new KvmIrqRouting(ops, 256, false).router(0);
        KvmException e = assertThrows(KvmException.class, () -> r.routeLevel(new GuestInterrupt.Line(3), trigger, resample));
        assertTrue(e.getMessage().contains("KVM_CAP_IRQFD_RESAMPLE"), e.getMessage());
        assertTrue(calls.isEmpty());
    }

    @Test
    void aRefusedNewRouteLeavesTheTableAsItWasAndLaterRoutesSucceed() {
        KvmIrqRouting routing = new KvmIrqRouting(ops, 32, true);
        IrqRouter r = routing.router(1);
        IrqRoute a = r.routeEdge(new GuestInterrupt.Msi(0x1000, 1), trigger);
        List<GsiRoute> before = routing.table();
        failRouting = 1;
        assertThrows(KvmException.class, () -> r.routeEdge(new GuestInterrupt.Msi(0x1000, 2), resample));
        assertEquals(before, routing.table(), "the refused route is not in the table");
        IrqRoute b = r.routeEdge(new GuestInterrupt.Msi(0x1000, 3), resample);
        assertEquals(GsiRoute.msi(33, 0x1000, 3, 1), routing.table().get(33), "the next route takes the free GSI");
        assertEquals(routing.table(), table, "KVM has what the bookkeeping has");
        a.close();
        b.close();
    }

    @Test
    void aRefusedRetargetKeepsTheOldMessage() {
        KvmIrqRouting routing = new KvmIrqRouting(ops, 32, true);
        IrqRoute a = routing.router(1).routeEdge(new GuestInterrupt.Msi(0x1000, 1), trigger);
        failRouting = 1;
        assertThrows(KvmException.class, () -> a.retarget(new GuestInterrupt.Msi(0x2000, 9)));
        assertEquals(GsiRoute.msi(32, 0x1000, 1, 1), routing.table().get(32));
        assertEquals(new GuestInterrupt.Msi(0x1000, 1), a.target());
        a.retarget(new GuestInterrupt.Msi(0x2000, 9));
        assertEquals(GsiRoute.msi(32, 0x2000, 9, 1), table.get(32));
        a.close();
    }

    @Test
    void suspendAndResumeMoveOnlyTheIrqfdNeverTheTable() {
        KvmIrqRouting routing = new KvmIrqRouting(ops, 32, true);
        IrqRoute a = routing.router(1).routeEdge(new GuestInterrupt.Msi(0x1000, 1), trigger);
        calls.clear();
        for (int i = 0; i < 1000; i++) {
            a.suspend();
            a.suspend();
            a.resume();
        }
        assertEquals(2000, calls.size(), "one deassign and one assign per mask/unmask");
        assertTrue(calls.stream().noneMatch(c -> c.startsWith("routing")), "no table rewrite");
        a.suspend();
        calls.clear();
        a.close();
        assertEquals(List.of("routing 32"), calls, "a suspended route has no irqfd left to deassign");
    }
}
