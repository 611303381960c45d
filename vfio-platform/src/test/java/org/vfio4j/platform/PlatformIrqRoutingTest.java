package org.vfio4j.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;

/** Which path a line takes (edge irqfd, resample wired to VFIO's unmask, user-space fallback) and what it undoes. */
class PlatformIrqRoutingTest {
    private static final GuestInterrupt.Line SPI = new GuestInterrupt.Line(112);

    @Test
    void edgeLineGetsAPlainIrqfdAndNoUnmaskWiring() {
        FakeIrq.Line line = new FakeIrq.Line(false);
        FakeIrq.Router router = new FakeIrq.Router(true);
        RoutedIrq r = PlatformIrqRouting.route(line, SPI, router, new FakeIrq.Lines());
        assertInstanceOf(RoutedIrq.Edge.class, r);
        assertEquals(List.of("edge " + SPI), router.routes);
        assertEquals(List.of("enable"), line.calls());
        r.close();
        assertEquals(List.of("edge " + SPI, "closed " + SPI), router.routes);
        assertEquals(List.of("enable", "disable"), line.calls());
    }

    @Test
    void levelLineWithResampleWiresTheResampleEventfdToVfioUnmask() {
        FakeIrq.Line line = new FakeIrq.Line(true);
        FakeIrq.Router router = new FakeIrq.Router(true);
        RoutedIrq r = PlatformIrqRouting.route(line, SPI, router, new FakeIrq.Lines());
        RoutedIrq.Resampled res = assertInstanceOf(RoutedIrq.Resampled.class, r);
        assertEquals(List.of("level " + SPI), router.routes);
        assertSame(router.lastResample, line.unmaskFd, "the router's resample eventfd must be VFIO's unmask eventfd");
        assertSame(res.resample(), line.unmaskFd);
        r.guestAccessed(); // the kernel unmasks; user space does nothing
        assertEquals(0, line.unmasks);
        r.close();
        assertEquals(List.of("enable", "unmaskOn", "clearUnmaskOn", "disable"), line.calls());
        assertTrue(res.resample().isClosed());
        assertNull(line.unmaskFd);
    }

    @Test
    void levelLineWithoutResampleFallsBackToUserSpaceUnmask() throws Exception {
        FakeIrq.Line line = new FakeIrq.Line(true);
        FakeIrq.Router router = new FakeIrq.Router(false);
        FakeIrq.Lines lines = new FakeIrq.Lines();
        RoutedIrq r = PlatformIrqRouting.route(line, SPI, router, lines);
        UserSpaceUnmask fb = assertInstanceOf(UserSpaceUnmask.class, r);
        assertTrue(router.routes.isEmpty(), "no irqfd for a line the machine cannot resample");
        EventFd trigger = java.util.Objects.requireNonNull(line.trigger);
        for (int round = 0; round < 3; round++) {
            trigger.signal(); // VFIO signals and masks the line
            assertEquals("assert 112", lines.changes.poll(5, TimeUnit.SECONDS));
            assertTrue(fb.pending());
            r.guestAccessed(); // the guest driver touches the device
            assertEquals("deassert 112", lines.changes.poll(5, TimeUnit.SECONDS));
            assertFalse(fb.pending());
            assertEquals(round + 1, line.unmasks);
        }
        r.guestAccessed(); // nothing pending: no extra unmask
        assertEquals(3, line.unmasks);
        r.close();
        assertTrue(line.calls().contains("disable"));
        assertFalse(line.calls().contains("unmaskOn"));
    }

    @Test
    void aFailedRouteDisablesTheLineAgain() {
        FakeIrq.Line line = new FakeIrq.Line(false);
        FakeIrq.Router router = new FakeIrq.Router(true);
        router.fail = true;
        assertThrows(IllegalStateException.class, () -> PlatformIrqRouting.route(line, SPI, router, new FakeIrq.Lines()));
        assertEquals(List.of("enable", "disable"), line.calls());
    }
}
