package org.vfio4j.pci;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;

/**
 * A test machine implementing every seam: a guest address space of direct and trapped mappings,
 * routes that record deliveries when their (real) eventfds are signalled, an INTx line, and a manual
 * event loop and clock. Unit tests drive it over the in-memory device; lab tests use it as the
 * "guest" over a real device (direct mappings are then real mmapped BARs).
 */
final class FakeMachine implements PciBarMapper, IrqRouter, PciIntxWiring, PciEventLoop {

    /** One live guest mapping. */
    final class Map implements Mapping {
        final BarSpace space;
        final long address;
        final long size;
        final @Nullable MemorySegment direct;
        final @Nullable TrapHandler trap;

        Map(BarSpace space, long address, long size, @Nullable MemorySegment direct, @Nullable TrapHandler trap) {
            this.space = space;
            this.address = address;
            this.size = size;
            this.direct = direct;
            this.trap = trap;
        }

        @Override
        public void close() {
            if (!maps.remove(this)) {
                throw new IllegalStateException("mapping closed twice");
            }
        }

        boolean contains(BarSpace s, long a, int width) {
            return s == space && a >= address && a + width <= address + size;
        }
    }

    final class Route implements IrqRoute {
        GuestInterrupt target;
        final EventFd trigger;
        final @Nullable EventFd resample;
        boolean suspended;

        Route(GuestInterrupt target, EventFd trigger, @Nullable EventFd resample) {
            this.target = target;
            this.trigger = trigger;
            this.resample = resample;
        }

        @Override
        public GuestInterrupt target() {
            return target;
        }

        @Override
        public void retarget(GuestInterrupt t) {
            if (failRoutes > 0) {
                failRoutes--;
                throw new IllegalStateException("KVM_SET_GSI_ROUTING failed (test)");
            }
            target = t;
        }

        @Override
        public void suspend() {
            suspended = true;
        }

        @Override
        public void resume() {
            suspended = false;
        }

        @Override
        public void close() {
            if (!routes.remove(this)) {
                throw new IllegalStateException("route closed twice");
            }
        }
    }

    final class Watch implements Registration {
        final EventFd eventFd;
        final Runnable handler;

        Watch(EventFd eventFd, Runnable handler) {
            this.eventFd = eventFd;
            this.handler = handler;
        }

        @Override
        public void close() {
            watches.remove(this);
        }
    }

    final class Timer implements Registration {
        final long due;
        final Runnable task;

        Timer(long due, Runnable task) {
            this.due = due;
            this.task = task;
        }

        @Override
        public void close() {
            timers.remove(this);
        }
    }

    final List<Map> maps = new ArrayList<>();
    final List<Route> routes = new ArrayList<>();
    final List<Watch> watches = new ArrayList<>();
    final List<Timer> timers = new ArrayList<>();
    final List<GuestInterrupt> delivered = new ArrayList<>();
    /** What the device reported to the operator (its rate-limited warnings). */
    final List<String> warnings = new ArrayList<>();
    /** How many of the next route or retarget requests fail, as a full KVM routing table would. */
    int failRoutes;
    final boolean resample;
    boolean intxLevel;
    int intxConnections;
    long nowMillis;

    FakeMachine(boolean resample) {
        this.resample = resample;
    }

    PciMachine seams() {
        return new PciMachine(this, this, this, this, warnings::add);
    }

    @Override
    public Mapping mapDirect(long guestAddress, MemorySegment memory) {
        Map m = new Map(BarSpace.MEMORY, guestAddress, memory.byteSize(), memory, null);
        checkNoOverlap(m);
        maps.add(m);
        return m;
    }

    @Override
    public Mapping mapTrapped(BarSpace space, long guestAddress, long size, TrapHandler handler) {
        Map m = new Map(space, guestAddress, size, null, handler);
        checkNoOverlap(m);
        maps.add(m);
        return m;
    }

    private void checkNoOverlap(Map m) {
        for (Map o : maps) {
            if (o.space == m.space && m.address < o.address + o.size && o.address < m.address + m.size
                    && o.direct == null && m.direct == null && o.trap == m.trap) {
                throw new IllegalStateException("overlapping mapping of the same handler at 0x" + Long.toHexString(m.address));
            }
        }
    }

    @Override
    public IrqRoute routeEdge(GuestInterrupt target, EventFd trigger) {
        if (failRoutes > 0) {
            failRoutes--;
            throw new IllegalStateException("KVM_SET_GSI_ROUTING failed (test)");
        }
        Route r = new Route(target, trigger, null);
        routes.add(r);
        return r;
    }

    @Override
    public IrqRoute routeLevel(GuestInterrupt.Line target, EventFd trigger, EventFd resampleFd) {
        if (!resample) {
            throw new IllegalStateException("routeLevel on a machine that said it cannot resample");
        }
        intxConnections++;
        Route r = new Route(target, trigger, resampleFd);
        routes.add(r);
        return r;
    }

    @Override
    public boolean supportsResample() {
        return resample;
    }

    @Override
    public GuestInterrupt.Line line(int pin) {
        return new GuestInterrupt.Line(32 + pin);
    }

    @Override
    public IntxLevel userLevel(GuestInterrupt.Line line) {
        intxConnections++;
        return new IntxLevel() {
            @Override
            public void set(boolean asserted) {
                intxLevel = asserted;
            }

            @Override
            public void close() {
                intxLevel = false;
            }
        };
    }

    @Override
    public Registration watch(EventFd eventFd, Runnable handler) {
        Watch w = new Watch(eventFd, handler);
        watches.add(w);
        return w;
    }

    @Override
    public Registration schedule(Duration delay, Runnable task) {
        Timer t = new Timer(nowMillis + delay.toMillis(), task);
        timers.add(t);
        return t;
    }

    /** Routes of message-signalled vectors. */
    List<Route> msiRoutes() {
        return routes.stream().filter(r -> r.target instanceof GuestInterrupt.Msi).toList();
    }

    /** The level route, if INTx is routed with resampling. */
    @Nullable Route intxRoute() {
        for (Route r : routes) {
            if (r.resample != null) {
                return r;
            }
        }
        return null;
    }

    /** Runs the loop until nothing is signalled: edge routes deliver, watches run. */
    void dispatch() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Route r : List.copyOf(routes)) {
                if (r.resample == null && !r.suspended && r.trigger.read() > 0) {
                    delivered.add(r.target);
                    progress = true;
                }
            }
            for (Watch w : List.copyOf(watches)) {
                if (watches.contains(w) && w.eventFd.read() > 0) {
                    w.handler.run();
                    progress = true;
                }
            }
        }
    }

    /** Moves the clock and runs due timers. */
    void advance(Duration d) {
        nowMillis += d.toMillis();
        for (Timer t : List.copyOf(timers)) {
            if (t.due <= nowMillis && timers.remove(t)) {
                t.task.run();
            }
        }
    }

    @Nullable Map find(BarSpace space, long address, int width) {
        for (Map m : maps) {
            if (m.contains(space, address, width)) {
                return m;
            }
        }
        return null;
    }

    /** A guest memory read: straight from the device if directly mapped, else through the trap. */
    long read(BarSpace space, long address, int width) {
        Map m = find(space, address, width);
        if (m == null) {
            throw new AssertionError("guest read at unmapped 0x" + Long.toHexString(address));
        }
        long off = address - m.address;
        MemorySegment d = m.direct;
        if (d != null) {
            return Mmio.read(d, off, width);
        }
        TrapHandler t = m.trap;
        return t == null ? 0 : t.read(off, width);
    }

    void write(BarSpace space, long address, int width, long value) {
        Map m = find(space, address, width);
        if (m == null) {
            throw new AssertionError("guest write at unmapped 0x" + Long.toHexString(address));
        }
        long off = address - m.address;
        MemorySegment d = m.direct;
        if (d != null) {
            Mmio.write(d, off, width, value);
            return;
        }
        TrapHandler t = m.trap;
        if (t != null) {
            t.write(off, width, value);
        }
    }

    long directBytes() {
        return maps.stream().filter(m -> m.direct != null).mapToLong(m -> m.size).sum();
    }
}
