package org.vfio4j.platform;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;

/** Fakes of the routing seams: an IRQ line with real eventfds, a recording router and guest lines. */
public final class FakeIrq {
    private FakeIrq() {
    }

    /** A line that records what was done to it; its trigger is a real eventfd the test can signal. */
    static final class Line implements IrqLine {
        final boolean automasked;
        final List<String> calls = new ArrayList<>();
        @Nullable EventFd trigger;
        @Nullable EventFd unmaskFd;
        int unmasks;

        Line(boolean automasked) {
            this.automasked = automasked;
        }

        @Override
        public boolean automasked() {
            return automasked;
        }

        @Override
        public synchronized EventFd enable() {
            calls.add("enable");
            EventFd e = EventFd.create();
            trigger = e;
            return e;
        }

        @Override
        public synchronized void unmaskOn(EventFd eventfd) {
            calls.add("unmaskOn");
            unmaskFd = eventfd;
        }

        @Override
        public synchronized void clearUnmaskOn() {
            calls.add("clearUnmaskOn");
            unmaskFd = null;
        }

        @Override
        public synchronized void unmask() {
            calls.add("unmask");
            unmasks++;
        }

        @Override
        public synchronized void disable() {
            calls.add("disable");
            EventFd e = trigger;
            if (e != null) {
                e.close();
            }
        }

        @Override
        public String describe() {
            return "fake IRQ";
        }

        synchronized List<String> calls() {
            return List.copyOf(calls);
        }
    }

    /** A router that records its routes; {@code resample} says whether it can resample. */
    public static final class Router implements IrqRouter {
        final boolean resample;
        final List<String> routes = new ArrayList<>();
        @Nullable EventFd lastResample;
        boolean fail;

        public Router(boolean resample) {
            this.resample = resample;
        }

        @Override
        public IrqRoute routeEdge(GuestInterrupt target, EventFd trigger) {
            if (fail) {
                throw new IllegalStateException("KVM_IRQFD failed");
            }
            routes.add("edge " + target);
            return route(target);
        }

        @Override
        public IrqRoute routeLevel(GuestInterrupt.Line target, EventFd trigger, EventFd resampleFd) {
            routes.add("level " + target);
            lastResample = resampleFd;
            return route(target);
        }

        @Override
        public boolean supportsResample() {
            return resample;
        }

        private IrqRoute route(GuestInterrupt target) {
            return new IrqRoute() {
                @Override
                public GuestInterrupt target() {
                    return target;
                }

                @Override
                public void retarget(GuestInterrupt t) {
                    routes.add("retarget " + t);
                }

                @Override
                public void suspend() {
                    routes.add("suspend " + target);
                }

                @Override
                public void resume() {
                    routes.add("resume " + target);
                }

                @Override
                public void close() {
                    routes.add("closed " + target);
                }
            };
        }
    }

    /** Guest lines whose level changes the test can wait for. */
    public static final class Lines implements GuestLines {
        final LinkedBlockingQueue<String> changes = new LinkedBlockingQueue<>();

        @Override
        public void setLevel(GuestInterrupt.Line line, boolean asserted) {
            changes.add((asserted ? "assert " : "deassert ") + line.number());
        }
    }
}
