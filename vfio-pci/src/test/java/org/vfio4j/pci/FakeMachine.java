package org.vfio4j.pci;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;

/**
 * An in-memory machine implementing the three seams: a guest address space of direct and trapped
 * mappings, MSI routes that record deliveries, an INTx line, and a manual event loop and clock.
 */
final class FakeMachine implements PciBarMapper, PciInterruptRouter, PciEventLoop {

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

    final class Route implements MsiRoute {
        MsiMessage message;
        final Trigger trigger;

        Route(MsiMessage message, Trigger trigger) {
            this.message = message;
            this.trigger = trigger;
        }

        @Override
        public void update(MsiMessage m) {
            message = m;
        }

        @Override
        public void close() {
            if (!routes.remove(this)) {
                throw new IllegalStateException("route closed twice");
            }
        }
    }

    final class Watch implements Registration {
        final Trigger trigger;
        final Runnable handler;

        Watch(Trigger trigger, Runnable handler) {
            this.trigger = trigger;
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
    final List<MsiMessage> delivered = new ArrayList<>();
    final boolean resample;
    boolean intxLevel;
    int intxConnections;
    @Nullable Trigger intxTrigger;
    @Nullable Trigger intxResample;
    long nowMillis;

    FakeMachine(boolean resample) {
        this.resample = resample;
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
    public MsiRoute routeMsi(MsiMessage message, Trigger trigger) {
        Route r = new Route(message, trigger);
        routes.add(r);
        return r;
    }

    @Override
    public IntxConnection connectIntx(int pin, Trigger trigger, Trigger resampleFd) {
        intxConnections++;
        intxTrigger = trigger;
        intxResample = resampleFd;
        if (resample) {
            return new IntxConnection.Resampled(() -> intxTrigger = null);
        }
        return new IntxConnection.Level(new IntxConnection.IntxLine() {
            @Override
            public void set(boolean asserted) {
                intxLevel = asserted;
            }

            @Override
            public void close() {
                intxLevel = false;
                intxTrigger = null;
            }
        });
    }

    @Override
    public Registration watch(Trigger trigger, Runnable handler) {
        Watch w = new Watch(trigger, handler);
        watches.add(w);
        return w;
    }

    @Override
    public Registration schedule(Duration delay, Runnable task) {
        Timer t = new Timer(nowMillis + delay.toMillis(), task);
        timers.add(t);
        return t;
    }

    /** Runs the loop until nothing is signalled: routes deliver, watches run. */
    void dispatch() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Route r : List.copyOf(routes)) {
                if (r.trigger.consume()) {
                    delivered.add(r.message);
                    progress = true;
                }
            }
            for (Watch w : List.copyOf(watches)) {
                if (watches.contains(w) && w.trigger.consume()) {
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
            long v = 0;
            for (int i = 0; i < width; i++) {
                v |= (long) (d.get(ValueLayout.JAVA_BYTE, off + i) & 0xFF) << (8 * i);
            }
            return v;
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
            for (int i = 0; i < width; i++) {
                d.set(ValueLayout.JAVA_BYTE, off + i, (byte) (value >>> (8 * i)));
            }
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
