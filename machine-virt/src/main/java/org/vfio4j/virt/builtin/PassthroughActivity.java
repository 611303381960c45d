package org.vfio4j.virt.builtin;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What an assigned platform device cost the VMM while it ran: how its IRQs were routed, how many guest
 * accesses trapped to user space, how many times user space drove one of its guest lines.
 *
 * <p>Why: the point of mapped regions and irqfd + resample is that the guest's driver reaches the device and
 * takes its interrupts with no VMM thread involved; these counts make that checkable (the aarch64 lab test
 * asserts they stay 0 across several RTC alarms) and tell a person why a device on the fallback is slow.
 * Counts accumulate over the device's runs; readable from any thread.
 */
public final class PassthroughActivity {
    private final AtomicLong trapped = new AtomicLong();
    private final AtomicLong lineChanges = new AtomicLong();
    private volatile List<String> routes = List.of();

    PassthroughActivity() {
    }

    void trappedAccess() {
        trapped.incrementAndGet();
    }

    void userSpaceLineChange() {
        lineChanges.incrementAndGet();
    }

    void routes(List<String> kinds) {
        routes = List.copyOf(kinds);
    }

    /** Guest accesses to the device that exited to user space (0 when every region is mapped). */
    public long trappedAccesses() {
        return trapped.get();
    }

    /** Assertions and deassertions of the device's guest lines made from user space (0 with irqfd routing). */
    public long userSpaceLineChanges() {
        return lineChanges.get();
    }

    /**
     * How each IRQ was routed at the last start, in IRQ order: {@code edge} (irqfd), {@code resampled}
     * (irqfd + resample, VFIO unmask on EOI) or {@code user-space-unmask} (the fallback).
     */
    public List<String> routes() {
        return routes;
    }

    @Override
    public String toString() {
        return "IRQs " + routes + ", " + trappedAccesses() + " trapped accesses, " + userSpaceLineChanges()
                + " user-space line changes";
    }
}
