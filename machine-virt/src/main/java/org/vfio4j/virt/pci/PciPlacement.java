package org.vfio4j.virt.pci;

import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.virt.device.RunningGuest;

/**
 * Where an assigned PCI function sits in the guest's PCI hierarchy: a device number of the root bus, or the slot
 * behind a {@link PcieRootPort}. It answers what depends on the place: the function's address and requester ID, the
 * root-bus slot whose {@code interrupt-map} entries its INTx pins go through, and how the function is put where the
 * guest's configuration accesses find it.
 *
 * <p>Why the requester ID is asked each time and not fixed at start: behind a root port it contains the bus number
 * the guest gave the port's secondary bus, which a guest programs only as it enumerates, after the function
 * started at boot; MSI routes are made when the guest enables its vectors, by then numbered.
 */
interface PciPlacement {
    /** {@code BB:DD.F} as the guest sees it now. */
    String address();

    /** The requester ID the function's MSIs carry to the ITS: bus &lt;&lt; 8 | device &lt;&lt; 3 | function. */
    int requesterId();

    /** The root-bus device number whose INTx lines the function's pins raise (the bridge swizzle applied). */
    int intxSlot();

    /** Whether the header type's multi-function bit is set for the guest. */
    boolean multifunctionHeader();

    /** Makes {@code function} answer at this place until the returned handle is closed. */
    AutoCloseable attach(PciFunction function);

    /**
     * Asks the guest to give the function back, as an attention button press on a hot-plug slot does; false when
     * this place has no way to ask (the root bus has no hot-plug slots).
     */
    default boolean requestUnplug() {
        return false;
    }

    /** The guest's interrupt routes with the requester ID this place gives at the moment each route is made. */
    default IrqRouter router(RunningGuest guest) {
        return new IrqRouter() {
            @Override
            public IrqRoute routeEdge(GuestInterrupt target, EventFd trigger) {
                return guest.router(requesterId()).routeEdge(target, trigger);
            }

            @Override
            public IrqRoute routeLevel(GuestInterrupt.Line target, EventFd trigger, EventFd resample) {
                return guest.router(requesterId()).routeLevel(target, trigger, resample);
            }

            @Override
            public boolean supportsResample() {
                return guest.router(requesterId()).supportsResample();
            }
        };
    }

    /** Device {@code devfn} of the root bus. */
    static PciPlacement rootBus(PciRootBus bus, int devfn, boolean multifunction) {
        return new PciPlacement() {
            @Override
            public String address() {
                return String.format("00:%02x.%x", devfn >>> 3, devfn & 7);
            }

            @Override
            public int requesterId() {
                return devfn;
            }

            @Override
            public int intxSlot() {
                return devfn >>> 3;
            }

            @Override
            public boolean multifunctionHeader() {
                return multifunction;
            }

            @Override
            public AutoCloseable attach(PciFunction function) {
                return bus.attachDevfn(devfn, function);
            }
        };
    }
}
