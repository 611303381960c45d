package org.vfio4j.virt.pci;

import java.util.List;

import org.vfio4j.virt.device.Device;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.DeviceProps;
import org.vfio4j.virt.device.DeviceType;
import org.vfio4j.virt.device.PropertySpec;

import jakarta.inject.Inject;

/**
 * {@code -device pcie-root-port,id=ID,chassis=N,slot=N[,port=N][,addr=SLOT[.FN]][,multifunction=on]}: a PCI
 * Express root port with a hot-plug slot, QEMU's {@code pcie-root-port}, on the root bus. A device goes into its
 * slot with {@code bus=ID} on the command line or in QMP's {@code device_add}.
 *
 * <p>Why a device of its own and not a property of vfio-pci: the root bus of QEMU's virt has no hot-plug slots, and
 * orchestration (libvirt) lays out root ports at start for the devices it may add later; the same command lines and
 * {@code device_add} arguments work on both VMMs.
 */
public final class PcieRootPortType implements DeviceType {
    /** The {@code -device} name. */
    public static final String NAME = "pcie-root-port";

    private final PciRootBus bus;

    @Inject
    PcieRootPortType(PciRootBus bus) {
        this.bus = bus;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a PCI Express root port with a hot-plug slot (native PCIe hot-plug, the guest's pciehp drives it)";
    }

    @Override
    public Bus bus() {
        return Bus.PCIE;
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.uint("chassis", "chassis number; chassis and slot together name the slot", 0),
                PropertySpec.uint("slot", "physical slot number (the guest's /sys/bus/pci/slots/N)", 0),
                PropertySpec.uint("port", "port number in the link capabilities", 0),
                PropertySpec.string("addr", "the port's device number on the root bus, SLOT[.FN] in hex; the first "
                        + "free one when not given", null),
                PropertySpec.bool("multifunction", "at function 0: further functions share its device number", false));
    }

    @Override
    public Device create(DeviceProps props) throws DeviceException {
        String id = props.id();
        long chassis = props.uint("chassis"), slot = props.uint("slot"), port = props.uint("port");
        if (chassis > 255 || slot > 8191 || port > 255) {
            throw new DeviceException(id + ": chassis (0-255), slot (0-8191) and port (0-255) are out of range");
        }
        int[] addr = VfioPciType.addr(id, props.stringOrNull("addr"));
        boolean multi = props.bool("multifunction");
        int devfn = bus.claim(id, addr[0], addr[1], multi);
        PcieRootPort p = new PcieRootPort(id, devfn, (int) chassis, (int) slot, (int) port, multi && addr[1] == 0, bus);
        bus.registerPort(p);
        return p;
    }
}
