package org.vfio4j.common;

/**
 * A {@link VfioDevice} with no bus-specific behaviour: what a user-level driver gets from
 * {@link VfioGroup#openDevice(String)} and drives through its regions, IRQs and DMA buffers directly.
 */
public final class PlainVfioDevice extends VfioDevice {
    /** Wraps the handle; see {@link VfioGroup#openDevice(String)}. */
    public PlainVfioDevice(DeviceHandle handle) {
        super(handle);
    }
}
