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
        usedMsiGsis.set(gsi - spis);
        msiRoutes.put(gsi, GsiRoute.msi(gsi, m.address(), m.data(), devid));
        commit();
        return gsi;
    }

    private synchronized void updateMsi(int gsi, GuestInterrupt.Msi m, int devid) {
        msiRoutes.put(gsi, GsiRoute.msi(gsi, m.address(), m.data(), devid));
        commit();
    }

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
            vm.irqfdDeassign(trigger, gsi);
            if (target instanceof GuestInterrupt.Msi) {
                removeMsi(gsi);
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
                detach();
                gsi = attach(t);
            }
            target = t;
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
