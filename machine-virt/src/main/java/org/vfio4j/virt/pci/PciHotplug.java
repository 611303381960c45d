package org.vfio4j.virt.pci;

import java.util.LinkedHashMap;
import java.util.Map;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.DeviceRegistry;
import org.vfio4j.virt.device.DeviceSpec;
import org.vfio4j.virt.run.RunControl;

import jakarta.inject.Inject;

/**
 * Devices added and removed while the machine runs (QMP's {@code device_add} and {@code device_del}): a device goes
 * into the slot of the {@code pcie-root-port} its {@code bus} names, and leaves it once the guest has turned the slot
 * off, when {@code DEVICE_DELETED} is sent and its id becomes free again.
 *
 * <p>Why only into root ports: the root bus of QEMU's virt has no hot-plug slots, so QEMU refuses a device there,
 * with the message repeated here; a client written for QEMU gets the same answer from both.
 */
public final class PciHotplug {
    /** The name QEMU's virt gives its root bus. */
    public static final String ROOT_BUS = "pcie.0";

    private final DeviceRegistry registry;
    private final PciRootBus bus;

    /** A {@code device_del} of an id no device has. */
    public static final class NotFound extends Exception {
        private static final long serialVersionUID = 1L;

        NotFound(String message) {
            super(message, null, false, false);
        }
    }

    @Inject
    public PciHotplug(DeviceRegistry registry, PciRootBus bus, RunControl control) {
        this.registry = registry;
        this.bus = bus;
        control.listen(e -> {
            if (e instanceof RunControl.Event.DeviceDeleted d) {
                registry.release(d.id());
            }
        });
    }

    /**
     * Creates device {@code driver} with {@code properties} ({@code -device} values as text) in the slot of the root
     * port {@code bus=} names; a running guest sees it arrive.
     *
     * @throws DeviceException when the device cannot be added; the message says why, for the person at the client
     */
    public synchronized void add(String driver, Map<String, String> properties) throws DeviceException {
        String target = properties.get("bus");
        if (target == null || target.equals(ROOT_BUS)) {
            throw new DeviceException("Bus '" + ROOT_BUS + "' does not support hotplugging"
                    + (bus.rootPortIds().isEmpty() ? "; start the machine with -device pcie-root-port,id=rp1,chassis=1,slot=1"
                            + " and add the device with bus=rp1" : "; add it with bus= one of " + bus.rootPortIds()));
        }
        PcieRootPort port = bus.rootPort(target);
        if (port == null) {
            throw new DeviceException("Bus '" + target + "' not found" + (bus.rootPortIds().isEmpty() ? ""
                    : "; the root ports are " + bus.rootPortIds()));
        }
        if (!driver.equals(VfioPciType.NAME)) {
            throw new DeviceException("Device '" + driver + "' can not be hot-plugged on this machine; only "
                    + VfioPciType.NAME + " goes into a root port's slot");
        }
        Map<String, String> props = new LinkedHashMap<>(properties);
        String id = props.get("id");
        boolean fresh = id != null && !registry.has(id);
        try {
            registry.create(new DeviceSpec(driver + "," + props, driver, props, java.util.List.of(), false));
        } catch (DeviceException | RuntimeException e) {
            if (fresh) {
                registry.release(id);   // a device that never came may have its id tried again
            }
            throw e;
        }
    }

    /**
     * Asks the guest to give back device {@code id} (its slot's attention button); the device is released, and
     * {@code DEVICE_DELETED} sent, once the guest has turned the slot off.
     *
     * @throws NotFound       when no device has the id
     * @throws DeviceException when the device is not in a hot-plug slot, or its unplug is already under way
     */
    public void delete(String id) throws DeviceException, NotFound {
        @Nullable PcieRootPort port = null;
        for (String p : bus.rootPortIds()) {
            PcieRootPort candidate = bus.rootPort(p);
            if (candidate != null && id.equals(candidate.occupantId())) {
                port = candidate;
            }
        }
        if (port == null) {
            if (registry.has(id)) {
                throw new DeviceException("Bus '" + ROOT_BUS + "' does not support hotplugging (device '" + id
                        + "' is not in a pcie-root-port's slot)");
            }
            throw new NotFound("Device '" + id + "' not found");
        }
        port.requestUnplug();
    }
}
