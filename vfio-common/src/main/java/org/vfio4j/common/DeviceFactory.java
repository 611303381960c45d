package org.vfio4j.common;

/**
 * Builds a {@link VfioDevice} subclass around a freshly opened device fd.
 *
 * <p>Why: the group owns the act of opening (and the error messages around it); the bus-specific model
 * (vfio-pci's, vfio-platform's, a user-level driver's) only decides what object to make of the handle.
 * Usually a constructor reference: {@code group.openDevice(bdf, MyDevice::new)}.
 */
@FunctionalInterface
public interface DeviceFactory<D extends VfioDevice> {
    /** Creates the device; if this throws, the group closes the fd. */
    D create(DeviceHandle handle);
}
