package org.vfio4j.virt.device;

/**
 * A device that takes part in a running guest: an assigned PCI function, an assigned platform device, any
 * model that needs guest memory, traps or interrupt routes.
 *
 * <p>Why a separate stage from creation: a machine is created (and {@code dumpdtb} written) from facts
 * alone, on any host; only a runner has a VM to wire a device into. The runner calls {@link #start} for
 * each live device in {@code -device} order after the interrupt controller exists and before any vCPU
 * runs, and closes what it returned, in reverse order, after every vCPU has stopped — also when a later
 * device fails to start.
 */
public interface LiveDevice extends Device {

    /**
     * Wires the device into {@code guest}.
     *
     * @return what to close to take the device out of the guest and release its host resources
     * @throws DeviceException when the device cannot be started; its message is for the person at the terminal
     */
    Started start(RunningGuest guest) throws DeviceException;

    /** A started device; closing it releases everything {@link #start} took, and never throws. */
    interface Started extends AutoCloseable {
        @Override
        void close();
    }
}
