package org.vfio4j.platform;

import org.vfio4j.common.EventFd;

/**
 * One platform IRQ (a VFIO IRQ index with its single vector) as the routing needs it.
 *
 * <p>Why a seam over {@link org.vfio4j.common.VfioIrq}: the routing decisions (plain irqfd, irqfd + resample
 * wired to VFIO's unmask-eventfd, or the user-space unmask fallback) are tested against a fake line without a
 * VFIO device; {@link VfioIrqLine} is the real one.
 */
public interface IrqLine {
    /** True for a level (automasked) line: it stays masked after firing until unmasked. */
    boolean automasked();

    /** Enables the line with a trigger eventfd the line owns, and returns it. */
    EventFd enable();

    /** Makes a signal of {@code eventfd} unmask the line inside the kernel (no user-space round trip). */
    void unmaskOn(EventFd eventfd);

    /** Removes the unmask eventfd. */
    void clearUnmaskOn();

    /** Unmasks the line now (the user-space fallback's re-arm). */
    void unmask();

    /** Disables the line (its trigger eventfd is released). */
    void disable();

    /** For messages, e.g. {@code IRQ 0 of 9010000.pl031}. */
    String describe();
}
