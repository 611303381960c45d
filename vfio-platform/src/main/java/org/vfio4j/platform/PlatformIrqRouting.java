package org.vfio4j.platform;

import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;

/**
 * Chooses how a platform IRQ reaches the guest, and wires it:
 * <ul>
 * <li>edge line: the trigger eventfd as a plain irqfd ({@link IrqRouter#routeEdge});</li>
 * <li>level (automasked) line and a machine that resamples: irqfd + resample eventfd, the resample eventfd
 * registered as VFIO's unmask-eventfd, so a guest EOI re-arms the line in the kernel;</li>
 * <li>level line and no resample support: {@link UserSpaceUnmask}, the only case that wakes user space.</li>
 * </ul>
 *
 * <p>Why VFIO's automasked flag decides, not the host device tree: it is what the kernel will do to the line;
 * {@link VfioPlatformDevice#verify} has already checked that the tree agrees.
 */
public final class PlatformIrqRouting {
    private PlatformIrqRouting() {
    }

    /** Routes {@code line} to guest line {@code target}; {@code lines} is only used by the fallback. */
    public static RoutedIrq route(IrqLine line, GuestInterrupt.Line target, IrqRouter router, GuestLines lines) {
        if (!line.automasked()) {
            EventFd trigger = line.enable();
            try {
                IrqRoute r = router.routeEdge(target, trigger);
                return new RoutedIrq.Edge(line, r, target);
            } catch (RuntimeException e) {
                line.disable();
                throw e;
            }
        }
        if (router.supportsResample()) {
            EventFd trigger = line.enable();
            EventFd resample = EventFd.create();
            try {
                line.unmaskOn(resample);
                IrqRoute r = router.routeLevel(target, trigger, resample);
                return new RoutedIrq.Resampled(line, r, resample, target);
            } catch (RuntimeException e) {
                line.disable();
                resample.close();
                throw e;
            }
        }
        UserSpaceUnmask fallback = new UserSpaceUnmask(line, line.enable(), target, lines);
        fallback.start();
        return fallback;
    }
}
