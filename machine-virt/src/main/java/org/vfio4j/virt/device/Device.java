package org.vfio4j.virt.device;

/**
 * A device instance in the machine. What else it offers is said by the sub-interfaces it implements
 * ({@link SysBusDevice}: a platform-bus node; later PCI functions and MMIO handlers for KVM exits).
 *
 * <p>Why so small: the machine asks each device only for what it needs at each stage (its node for
 * the device tree now; its regions and interrupts when it runs), so a plugin implements only what
 * its device has.
 */
public interface Device {
    /** The unique id ({@code id=} or generated). */
    String id();
}
