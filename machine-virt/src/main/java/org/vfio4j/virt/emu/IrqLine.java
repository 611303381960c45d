package org.vfio4j.virt.emu;

/**
 * A level-triggered interrupt line an emulated device drives (KVM: KVM_IRQ_LINE on its SPI).
 *
 * <p>Why a seam: the device model decides the level; how it reaches the guest is the machine's business,
 * and tests record the levels instead.
 */
@FunctionalInterface
public interface IrqLine {
    /** Sets the line's level. */
    void set(boolean level);
}
