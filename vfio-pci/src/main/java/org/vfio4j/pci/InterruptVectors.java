package org.vfio4j.pci;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The live vectors of one message-signalled index (MSI or MSI-X): their host triggers, their guest
 * routes, and the pending bits of the masked ones.
 *
 * <p>Why one class for both: MSI with per-vector masking and MSI-X follow the same rules.
 * An unmasked vector's trigger is routed by the machine (KVM irqfd: no user-space work per
 * interrupt). A masked vector keeps its host trigger but is unrouted and watched from user space; an
 * interrupt arriving then sets its pending bit, and unmasking re-signals the trigger so the held
 * interrupt is delivered through the new route. Vectors are added to the host one at a time as the
 * guest unmasks them; when the kernel cannot add vectors to an enabled index (NORESIZE) the index is
 * re-enabled with more vectors and every vector the guest has used is signalled once afterwards, because an
 * interrupt lost in that window would hang a driver while a spurious one is harmless.
 */
final class InterruptVectors implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(InterruptVectors.class.getName());

    private final PciIrqIndex index;
    private final PciHost host;
    private final PciInterruptRouter router;
    private final PciEventLoop loop;
    private final Runnable pendingChanged;
    private final @Nullable Trigger[] triggers;
    private final PciInterruptRouter.@Nullable MsiRoute[] routes;
    private final @Nullable MsiMessage[] messages;
    private final PciEventLoop.@Nullable Registration[] watches;
    private final BitSet pending = new BitSet();
    private final BitSet used = new BitSet();
    private int hostCount;
    private boolean closed;

    /**
     * @param capacity vectors the guest may use
     * @param pendingChanged called when a pending bit is set or cleared (MSI mirrors them into config)
     */
    InterruptVectors(PciIrqIndex index, int capacity, PciHost host, PciInterruptRouter router, PciEventLoop loop,
            Runnable pendingChanged) {
        this.index = index;
        this.host = host;
        this.router = router;
        this.loop = loop;
        this.pendingChanged = pendingChanged;
        this.triggers = new @Nullable Trigger[capacity];
        this.routes = new PciInterruptRouter.@Nullable MsiRoute[capacity];
        this.messages = new @Nullable MsiMessage[capacity];
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

    /** Whether the vector currently has a guest route. */
    boolean routed(int vector) {
        return routes[vector] != null;
    }

    /** Enables vectors {@code 0..count-1} on the host at once (MSI cannot grow). */
    void enableAll(int count) {
        for (int i = 0; i < count; i++) {
            if (triggers[i] == null) {
                triggers[i] = host.newTrigger();
            }
        }
        hostSet(0, count);
        hostCount = count;
    }

    /** Makes sure {@code vector} has a trigger on the host, growing the enabled range if needed. */
    void ensure(int vector) {
        if (triggers[vector] != null && vector < hostCount) {
            return;
        }
        triggers[vector] = host.newTrigger();
        if (hostCount == 0) {
            hostSet(0, vector + 1);
            hostCount = vector + 1;
        } else if (vector < hostCount || host.irqResizable(index)) {
            hostSet(vector, 1);
            hostCount = Math.max(hostCount, vector + 1);
        } else {
            host.disableIrq(index);
            hostSet(0, vector + 1);
            hostCount = vector + 1;
            for (int i = 0; i < vector; i++) {
                Trigger t = triggers[i];
                if (t != null && used.get(i)) {
                    t.signal();
                }
            }
        }
    }

    /**
     * Applies the guest's state of one vector: its message and whether it is masked. An unmasked
     * vector gets a host trigger if it has none yet; a masked vector without one stays off.
     */
    void set(int vector, MsiMessage message, boolean masked) {
        if (closed) {
            return;
        }
        if (triggers[vector] == null) {
            if (masked) {
                messages[vector] = message;
                return;
            }
            ensure(vector);
        }
        Trigger trigger = Objects.requireNonNull(triggers[vector]);
        messages[vector] = message;
        PciInterruptRouter.MsiRoute route = routes[vector];
        PciEventLoop.Registration watch = watches[vector];
        if (masked) {
            if (route != null) {
                route.close();
                routes[vector] = null;
            }
            if (watch == null) {
                watches[vector] = loop.watch(trigger, () -> firedWhileMasked(vector));
            }
            return;
        }
        if (watch != null) {
            watch.close();
            watches[vector] = null;
        }
        used.set(vector);
        if (route == null) {
            routes[vector] = router.routeMsi(message, trigger);
        } else {
            route.update(message);
        }
        if (pending.get(vector)) {
            pending.clear(vector);
            trigger.signal();
            pendingChanged.run();
        }
    }

    private void firedWhileMasked(int vector) {
        Trigger trigger = triggers[vector];
        if (closed || trigger == null) {
            return;
        }
        if (routes[vector] != null) {
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
        List<@Nullable Trigger> list = new ArrayList<>();
        for (int i = start; i < start + count; i++) {
            list.add(triggers[i]);
        }
        try {
            host.setIrqTriggers(index, start, list);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: enabling {1} vectors {2}..{3} failed, they stay silent: {4}",
                    host.name(), index, start, start + count - 1, e.getMessage());
        }
    }

    /** Disables the index on the host and releases every route, watch and trigger. */
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
                LOG.log(System.Logger.Level.WARNING, "{0}: disabling {1} failed: {2}", host.name(), index, e.getMessage());
            }
        }
        for (int i = 0; i < triggers.length; i++) {
            PciInterruptRouter.MsiRoute r = routes[i];
            if (r != null) {
                r.close();
            }
            PciEventLoop.Registration w = watches[i];
            if (w != null) {
                w.close();
            }
            Trigger t = triggers[i];
            if (t != null) {
                t.close();
            }
            routes[i] = null;
            watches[i] = null;
            triggers[i] = null;
        }
        hostCount = 0;
        pending.clear();
        used.clear();
    }
}
