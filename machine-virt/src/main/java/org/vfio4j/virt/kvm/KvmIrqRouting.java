package org.vfio4j.virt.kvm;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.TreeMap;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;

/**
 * vfio-common's irqfd seam on KVM: the VM's GSI routing table plus irqfds. GSIs {@code 0..spis-1} are the
 * vGIC's SPIs (the kernel's default arm64 routing, kept in the table because KVM_SET_GSI_ROUTING replaces it
 * whole); MSIs get GSIs above them, each an MSI route with the device id the ITS translates.
 *
 * <p>Why every table change is a transaction: the guest decides how many vectors it routes, and KVM may refuse a
 * table (too many routes, no memory). A refused change leaves the table, in KVM and here, as it was, so the
 * vector stays unrouted and every later change still succeeds. A masked vector keeps its route and only loses
 * its irqfd ({@link IrqRoute#suspend()}), so masking costs no table rewrite; only a new route or a new
 * address/data writes the table.
 *
 * <p>Why per-device routers ({@link #router(int)}): an MSI on arm64 means nothing without the requester's
 * device id (PCI: bus/devfn, as the PCIe host's {@code msi-map} states), and {@link IrqRouter} speaks only of
 * address and data; each assigned device gets a router carrying its id.
 *
 * {@snippet :
 * KvmIrqRouting routing = new KvmIrqRouting(vm, MemoryMap.GIC_SPI_COUNT, true);
 * IrqRouter forNvme = routing.router(0x08);          // requester id 00:01.0
 * IrqRoute r = IrqWiring.connect(msix, 0, new GuestInterrupt.Msi(addr, data), forNvme);
 * }
 */
public final class KvmIrqRouting {
    private final IrqfdOps vm;
    private final int spis;
    private final boolean resample;
    private final TreeMap<Integer, GsiRoute> msiRoutes = new TreeMap<>();
    private final BitSet usedMsiGsis = new BitSet();

    /**
     * @param spis     SPIs the vGIC implements (GSIs below this number are SPI lines)
     * @param resample whether the host has KVM_CAP_IRQFD_RESAMPLE
     */
    public KvmIrqRouting(KvmVm vm, int spis, boolean resample) {
        this((IrqfdOps) vm, spis, resample);
    }

    KvmIrqRouting(IrqfdOps vm, int spis, boolean resample) {
        this.vm = vm;
        this.spis = spis;
        this.resample = resample;
    }

    /** A router whose MSI routes carry {@code devid}. */
    public IrqRouter router(int devid) {
        return new Router(devid);
    }

    /** The table as it would be given to KVM (SPI routes, then MSI routes), for tests and reports. */
    public synchronized List<GsiRoute> table() {
        List<GsiRoute> t = new ArrayList<>(spis + msiRoutes.size());
        for (int i = 0; i < spis; i++) {
            t.add(GsiRoute.spi(i, i));
        }
        t.addAll(msiRoutes.values());
        return t;
    }

    private synchronized int addMsi(GuestInterrupt.Msi m, int devid) {
        int gsi = spis + usedMsiGsis.nextClearBit(0);
        msiRoutes.put(gsi, GsiRoute.msi(gsi, m.address(), m.data(), devid));
        try {
            commit();
        } catch (RuntimeException e) {
            msiRoutes.remove(gsi);
            throw e;
        }
        usedMsiGsis.set(gsi - spis);
        return gsi;
    }

    private synchronized void updateMsi(int gsi, GuestInterrupt.Msi m, int devid) {
        GsiRoute old = msiRoutes.put(gsi, GsiRoute.msi(gsi, m.address(), m.data(), devid));
        try {
            commit();
        } catch (RuntimeException e) {
            if (old != null) {
                msiRoutes.put(gsi, old);
            }
            throw e;
        }
    }

    /**
     * Frees an MSI GSI. A refused commit is not undone: KVM then keeps a route that no irqfd drives any more,
     * which is harmless, and the next successful commit (which writes the whole table) drops it.
     */
    private synchronized void removeMsi(int gsi) {
        msiRoutes.remove(gsi);
        usedMsiGsis.clear(gsi - spis);
        commit();
    }

    private void commit() {
        vm.setGsiRouting(table());
    }

    private int lineGsi(GuestInterrupt.Line l) {
        if (l.number() >= spis) {
            throw new IllegalArgumentException("SPI " + l.number() + " is beyond the vGIC's " + spis + " SPIs");
        }
        return l.number();
    }

    /** The {@link IrqRouter} for one device id. */
    private final class Router implements IrqRouter {
        private final int devid;

        Router(int devid) {
            this.devid = devid;
        }

        @Override
        public IrqRoute routeEdge(GuestInterrupt target, EventFd trigger) {
            return new Route(devid, target, trigger, null);
        }

        @Override
        public IrqRoute routeLevel(GuestInterrupt.Line target, EventFd trigger, EventFd resampleFd) {
            if (!resample) {
                throw KvmException.refused("KVM_IRQFD with resample", "this host's KVM lacks KVM_CAP_IRQFD_RESAMPLE");
            }
            return new Route(devid, target, trigger, resampleFd);
        }

        @Override
        public boolean supportsResample() {
            return resample;
        }
    }

    /** One irqfd, on an SPI line or an MSI GSI. */
    private final class Route implements IrqRoute {
        private final int devid;
        private final EventFd trigger;
        private final @Nullable EventFd resampleFd;
        private GuestInterrupt target;
        private int gsi;
        private boolean closed;
        private boolean suspended;

        Route(int devid, GuestInterrupt target, EventFd trigger, @Nullable EventFd resampleFd) {
            this.devid = devid;
            this.trigger = trigger;
            this.resampleFd = resampleFd;
            this.target = target;
            this.gsi = attach(target);
        }

        private int attach(GuestInterrupt t) {
            int g = t instanceof GuestInterrupt.Msi m ? addMsi(m, devid) : lineGsi((GuestInterrupt.Line) t);
            try {
                vm.irqfd(trigger, g, resampleFd);
            } catch (RuntimeException e) {
                if (t instanceof GuestInterrupt.Msi) {
                    removeMsi(g);
                }
                throw e;
            }
            return g;
        }

        private void detach() {
            try {
                if (!suspended) {
                    vm.irqfdDeassign(trigger, gsi);
                }
            } finally {
                if (target instanceof GuestInterrupt.Msi) {
                    removeMsi(gsi);
                }
            }
        }

        @Override
        public synchronized GuestInterrupt target() {
            return target;
        }

        @Override
        public synchronized void retarget(GuestInterrupt t) {
            if (closed) {
                throw new IllegalStateException("the route to " + target + " is closed");
            }
            if (t instanceof GuestInterrupt.Msi m && target instanceof GuestInterrupt.Msi) {
                updateMsi(gsi, m, devid); // same GSI, new address/data: the irqfd stays, nothing is lost
            } else {
                boolean wasSuspended = suspended;
                detach();
                suspended = false;
                gsi = attach(t);
                if (wasSuspended) {
                    suspend();
                }
            }
            target = t;
        }

        @Override
        public synchronized void suspend() {
            if (closed) {
                throw new IllegalStateException("the route to " + target + " is closed");
            }
            if (!suspended) {
                vm.irqfdDeassign(trigger, gsi);
                suspended = true;
            }
        }

        @Override
        public synchronized void resume() {
            if (closed) {
                throw new IllegalStateException("the route to " + target + " is closed");
            }
            if (suspended) {
                vm.irqfd(trigger, gsi, resampleFd);
                suspended = false;
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                detach();
            }
        }
    }
}
