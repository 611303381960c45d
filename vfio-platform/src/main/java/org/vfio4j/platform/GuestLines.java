package org.vfio4j.platform;

import org.vfio4j.common.GuestInterrupt;

/**
 * "Set this guest interrupt line's level": what the user-space unmask fallback needs when the machine's
 * {@link org.vfio4j.common.IrqRouter} cannot resample (no irqfd resample support).
 *
 * <p>Why separate from the router: only the fallback uses it, and a machine with resample support may still
 * implement it for emulated devices; the KVM runner implements it with KVM_IRQ_LINE.
 */
public interface GuestLines {
    /** Asserts ({@code true}) or deasserts {@code line}. */
    void setLevel(GuestInterrupt.Line line, boolean asserted);
}
