package org.vfio4j.pci;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;

/**
 * The live vectors of one message-signalled index (MSI or MSI-X): their trigger eventfds on the host,
 * their guest routes, and the pending bits of the masked ones.
 *
 * <p>Why one class for both: MSI with per-vector masking and MSI-X follow the same rules.
 * An unmasked vector's eventfd is routed by the machine through vfio-common's irqfd seam (KVM irqfd:
 * no user-space work per interrupt). A masked vector keeps its eventfd on the host but is unrouted
 * and watched from user space; an interrupt arriving then sets its pending bit, and unmasking
 * signals the eventfd again so the held interrupt goes out through the new route. Vectors are added
 * to the host one at a time as the guest unmasks them; when the kernel cannot add vectors to an
 * enabled index (NORESIZE) the index is re-enabled with more vectors and every vector the guest has
 * used is signalled once afterwards, because an interrupt lost in that window would hang a driver
 * while a spurious one is harmless.
 */
final class InterruptVectors implements AutoCloseable {

    private final PciIrqIndex index;
    private final PciHost host;
    private final IrqRouter router;
    private final PciEventLoop loop;
    private final Runnable pendingChanged;
    /** The device's diagnostics, already rate-limited by its model. */
    private final Consumer<String> warnings;
    private final @Nullable EventFd[] triggers;
    private final @Nullable IrqRoute[] routes;
    private final PciEventLoop.@Nullable Registration[] watches;
    private final BitSet pending = new BitSet();
    /** Vectors with a trigger that deliver nothing now (masked by the guest, or not routable). */
    private final BitSet masked = new BitSet();
    private final BitSet used = new BitSet();
    private int hostCount;
    private boolean closed;

    /**
     * @param capacity vectors the guest may use
     * @param pendingChanged called when a pending bit is set or cleared (MSI mirrors them into config)
     */
    InterruptVectors(PciIrqIndex index, int capacity, PciHost host, PciMachine machine, Runnable pendingChanged) {
        this.warnings = machine.warnings();
        this.index = index;
        this.host = host;
        this.router = machine.irqs();
        this.loop = machine.loop();
        this.pendingChanged = pendingChanged;
        this.triggers = new @Nullable EventFd[capacity];
        this.routes = new @Nullable IrqRoute[capacity];
        this.watches = new PciEventLoop.@Nullable Registration[capacity];
    }

    int capacity() {
        return triggers.length;
    }

    /** Number of vectors enabled on the host (0: the index is off). */
    int hostCount() {
        return hostCount;
    }

    boolean pending(int vector) {
        return pending.get(vector);
    }

    /** Whether the vector currently delivers to the guest. */
    boolean routed(int vector) {
        return routes[vector] != null && !masked.get(vector);
    }

    /** Enables vectors {@code 0..count-1} on the host at once (MSI cannot grow). */
    void enableAll(int count) {
        for (int i = 0; i < count; i++) {
            if (triggers[i] == null) {
                triggers[i] = EventFd.create();
            }
        }
        hostSet(0, count);
        hostCount = count;
    }

    /** Makes sure {@code vector} has an eventfd on the host, growing the enabled range if needed. */
    void ensure(int vector) {
        if (triggers[vector] != null && vector < hostCount) {
            return;
        }
        if (triggers[vector] == null) {
            triggers[vector] = EventFd.create();
        }
        if (hostCount == 0) {
            hostSet(0, vector + 1);
            hostCount = vector + 1;
        } else if (vector < hostCount || host.irqResizable(index)) {
            hostSet(vector, 1);
            hostCount = Math.max(hostCount, vector + 1);
        } else {
            try {
                host.disableIrq(index);
            } catch (RuntimeException e) {
                warnings.accept(host.name() + ": disabling " + index + " to grow it failed: " + e.getMessage());
            }
            hostSet(0, vector + 1);
            hostCount = vector + 1;
            for (int i = 0; i < vector; i++) {
                EventFd t = triggers[i];
                if (t != null && used.get(i)) {
                    t.signal();
                }
            }
        }
    }

    /**
     * Applies the guest's state of one vector: its message and whether it is masked. An unmasked
     * vector gets a host eventfd if it has none yet; a masked vector without one stays off. A vector the
     * machine cannot route (its routing table full or refused) stays masked, and is reported.
     */
    void set(int vector, GuestInterrupt.Msi message, boolean mask) {
        if (closed) {
            return;
        }
        if (triggers[vector] == null) {
            if (mask) {
                return;
            }
            ensure(vector);
        }
        EventFd trigger = Objects.requireNonNull(triggers[vector]);
        if (mask) {
            maskVector(vector, trigger);
            return;
        }
        IrqRoute route = routes[vector];
        try {
            if (route == null) {
                routes[vector] = router.routeEdge(message, trigger);
            } else {
                if (!route.target().equals(message)) {
                    route.retarget(message);
                }
                if (masked.get(vector)) {
                    route.resume();
                }
            }
        } catch (RuntimeException e) {
            warnings.accept(host.name() + ": " + index + " vector " + vector + " to " + message
                    + " cannot be routed, it stays masked: " + e.getMessage());
            maskVector(vector, trigger);
            return;
        }
        masked.clear(vector);
        PciEventLoop.Registration watch = watches[vector];
        if (watch != null) {
            watch.close();
            watches[vector] = null;
        }
        used.set(vector);
        if (pending.get(vector)) {
            pending.clear(vector);
            trigger.signal();
            pendingChanged.run();
        }
    }

    /**
     * Stops delivering {@code vector} to the guest and watches its eventfd for the pending bit; the route
     * is kept (suspended), so masking and unmasking again costs the machine no routing-table update.
     */
    private void maskVector(int vector, EventFd trigger) {
        IrqRoute route = routes[vector];
        if (route != null && !masked.get(vector)) {
            try {
                route.suspend();
            } catch (RuntimeException e) {
                warnings.accept(host.name() + ": " + index + " vector " + vector + " could not be suspended, its "
                        + "route is dropped: " + e.getMessage());
                closeQuietly(route);
                routes[vector] = null;
            }
        }
        masked.set(vector);
        if (watches[vector] == null) {
            watches[vector] = loop.watch(trigger, () -> firedWhileMasked(vector));
        }
    }

    private void closeQuietly(IrqRoute route) {
        try {
            route.close();
        } catch (RuntimeException e) {
            warnings.accept(host.name() + ": closing a route of " + index + " failed: " + e.getMessage());
        }
    }

    private void firedWhileMasked(int vector) {
        EventFd trigger = triggers[vector];
        if (closed || trigger == null) {
            return;
        }
        if (!masked.get(vector)) {
            // Unmasked between the signal and this callback: the loop consumed it, hand it on.
            trigger.signal();
            return;
        }
        if (!pending.get(vector)) {
            pending.set(vector);
            pendingChanged.run();
        }
    }

    private void hostSet(int start, int count) {
        List<@Nullable EventFd> list = new ArrayList<>();
        for (int i = start; i < start + count; i++) {
            list.add(triggers[i]);
        }
        try {
            host.setIrqTriggers(index, start, list);
        } catch (RuntimeException e) {
            warnings.accept(host.name() + ": enabling " + index + " vectors " + start + ".." + (start + count - 1)
                    + " failed, they stay silent: " + e.getMessage());
        }
    }

    /** Disables the index on the host and releases every route, watch and eventfd. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (hostCount > 0) {
            try {
                host.disableIrq(index);
            } catch (RuntimeException e) {
                warnings.accept(host.name() + ": disabling " + index + " failed: " + e.getMessage());
            }
        }
        for (int i = 0; i < triggers.length; i++) {
            IrqRoute r = routes[i];
            if (r != null) {
                closeQuietly(r);
            }
            PciEventLoop.Registration w = watches[i];
            if (w != null) {
                w.close();
            }
            EventFd t = triggers[i];
            if (t != null) {
                t.close();
            }
            routes[i] = null;
            watches[i] = null;
            triggers[i] = null;
        }
        hostCount = 0;
        pending.clear();
        masked.clear();
        used.clear();
    }
}
