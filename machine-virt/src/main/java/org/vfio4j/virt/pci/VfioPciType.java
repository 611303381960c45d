package org.vfio4j.virt.pci;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.pci.PciOptionException;
import org.vfio4j.pci.PciOptions;
import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.board.PcieHost;
import org.vfio4j.virt.device.Device;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.DeviceProps;
import org.vfio4j.virt.device.DeviceType;
import org.vfio4j.virt.device.PropertySpec;
import org.vfio4j.virt.run.RunControl;

import jakarta.inject.Inject;

/**
 * {@code -device vfio-pci,host=BDF[,rombar=0|1][,x-no-mmap=on][,x-intx=off][,x-intx-mmap-timeout-ms=N]
 * [,iommufd=ID[,fd=N]][,addr=SLOT[.FN]][,multifunction=on][,bus=ID]}: a host PCI function bound to vfio-pci, given to
 * the guest at {@code addr} or the next free device number of the PCIe root bus (QEMU's {@code vfio-pci}), or in the
 * hot-plug slot of the {@code pcie-root-port} {@code bus=} names. With {@code iommufd=} it joins that
 * {@code -object iommufd} through its cdev (opened here, or handed in as {@code fd=}) instead of the
 * guest's VFIO container.
 *
 * <p>Why the host is checked here and opened only in {@link VfioPciFunction#start}: the checks (sysfs driver,
 * group viability, the same device twice, RLIMIT_MEMLOCK) need no privileges and give the person a clear
 * refusal before KVM is touched; the device is held only while a guest runs. The memlock check is skipped for
 * {@code dumpdtb}, which pins nothing.
 */
public final class VfioPciType implements DeviceType {
    /** The {@code -device} name. */
    public static final String NAME = PciOptions.DRIVER;

    private final PciRootBus bus;
    private final PcieHost host;
    private final MachineConfig config;
    private final HostChecks checks;
    private final ManagedHosts managed;
    private final RunControl control;
    /** Host BDF → the id of the device that has it. */
    private final Map<String, String> assigned = new HashMap<>();

    @Inject
    VfioPciType(PciRootBus bus, PcieHost host, MachineConfig config, ManagedHosts managed, RunControl control) {
        this(bus, host, config, HostChecks.system(), managed, control);
    }

    VfioPciType(PciRootBus bus, PcieHost host, MachineConfig config, HostChecks checks, ManagedHosts managed,
            RunControl control) {
        this.bus = bus;
        this.host = host;
        this.config = config;
        this.checks = checks;
        this.managed = managed;
        this.control = control;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a host PCI function bound to vfio-pci, on the PCIe root bus: BARs mapped, MSI/MSI-X and INTx through irqfds";
    }

    @Override
    public Bus bus() {
        return Bus.PCIE;
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.string("host", "host PCI address DDDD:BB:DD.F or BB:DD.F (lspci -D; VMD domains have five digits), bound to vfio-pci", null),
                PropertySpec.uint("rombar", "1 shows the expansion ROM, 0 hides it", 1),
                PropertySpec.bool("x-no-mmap", "trap every BAR access instead of mapping BARs into the guest", false),
                PropertySpec.bool("x-intx", "offer the INTx pin (off: interrupt pin 0)", true),
                PropertySpec.uint("x-intx-mmap-timeout-ms", "how long BARs stay trapped after an INTx without resampling",
                        PciOptions.DEFAULT_INTX_MMAP_TIMEOUT.toMillis()),
                PropertySpec.string("addr", "the device number on the root bus, and the function: SLOT[.FN] in hex "
                        + "(05, 05.1); the first free device number when not given", null),
                PropertySpec.bool("multifunction", "at function 0: further functions share its device number", false),
                PropertySpec.string("bus", "the id of the pcie-root-port whose hot-plug slot the function goes in "
                        + "(pcie.0, the root bus, when not given)", null),
                PropertySpec.bool("x-managed", "bind the device's IOMMU group to vfio-pci at start and give it back "
                        + "to its drivers at exit", false),
                PropertySpec.string("iommufd", "join the -object iommufd with this id through the device's cdev "
                        + "instead of the VFIO container", null),
                PropertySpec.string("fd", "the device's cdev as an fd this process inherited (with iommufd=; host= "
                        + "is then read from it)", null));
    }

    @Override
    public synchronized Device create(DeviceProps props) throws DeviceException {
        String id = props.id();
        String iommufd = props.stringOrNull("iommufd");
        String fd = props.stringOrNull("fd");
        String hostBdf = props.stringOrNull("host");
        PciOptions options;
        try {
            if (hostBdf == null && fd != null && iommufd != null) {
                hostBdf = checks.cdevHost(id, PciOptions.fd(fd));
            }
            if (hostBdf == null) {
                throw new DeviceException(id + ": vfio-pci needs host=DDDD:BB:DD.F (the device's PCI address, as in "
                        + "lspci -D), or fd=N with iommufd=ID for a cdev handed in");
            }
            options = PciOptions.parse(NAME + ",host=" + hostBdf + ",rombar=" + props.uint("rombar")
                    + ",x-no-mmap=" + (props.bool("x-no-mmap") ? "on" : "off") + ",x-intx=" + (props.bool("x-intx") ? "on" : "off")
                    + ",x-intx-mmap-timeout-ms=" + props.uint("x-intx-mmap-timeout-ms")
                    + (iommufd != null ? ",iommufd=" + iommufd : "") + (fd != null ? ",fd=" + fd : ""));
        } catch (PciOptionException e) {
            throw new DeviceException(id + ": " + e.getMessage(), e);
        }
        if (iommufd != null && !config.iommufds().containsKey(iommufd)) {
            throw new DeviceException(id + ": iommufd=" + iommufd + ": no -object iommufd has id=" + iommufd
                    + (config.iommufds().isEmpty() ? "; add -object iommufd,id=" + iommufd
                            : "; the iommufd objects are " + new java.util.TreeSet<>(config.iommufds().keySet())));
        }
        if (iommufd != null && config.iommufds().get(iommufd).handedIn()) {
            checks.iommufdFd("-object iommufd,id=" + iommufd, config.iommufds().get(iommufd).fd());
        }
        String bdf = options.host();
        String earlier = assigned.get(bdf);
        if (earlier != null) {
            throw new DeviceException(id + ": host device " + bdf + " is already assigned by " + earlier
                    + "; a PCI function can be given to the guest once (remove one of the two -device vfio-pci,host="
                    + bdf + ")");
        }
        if (props.bool("x-managed") && config.dumpDtb() == null) {
            managed.bind(id, bdf);
        }
        int group = checks.assignable(id, bdf);
        if (config.dumpDtb() == null) {
            checks.canPin(id, config.ramBytes());
        }
        int[] addr = addr(id, props.stringOrNull("addr"));
        boolean multi = props.bool("multifunction");
        PcieRootPort port = rootPort(id, props.stringOrNull("bus"), addr, multi);
        if (port == null) {
            int devfn = bus.claim(id, addr[0], addr[1], multi);
            assigned.put(bdf, id);
            return new VfioPciFunction(id, options, group, PciPlacement.rootBus(bus, devfn, multi && addr[1] == 0),
                    host);
        }
        VfioPciFunction f = new VfioPciFunction(id, options, group, port.placement(0), host);
        port.plug(f, () -> {
            synchronized (this) {
                assigned.remove(bdf);
            }
            control.deviceDeleted(id);
        });
        assigned.put(bdf, id);
        return new InSlot(id, f.toString());
    }

    /** A function in a root port's slot, which the port starts and stops; the machine's list only names it. */
    private static final class InSlot implements Device {
        private final String id;
        private final String description;

        InSlot(String id, String description) {
            this.id = id;
            this.description = description;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public String toString() {
            return description;
        }
    }

    /** The root port {@code bus=} names, or null for the root bus; behind a port the function is device 0. */
    private @Nullable PcieRootPort rootPort(String id, @Nullable String busId, int[] addr, boolean multi)
            throws DeviceException {
        if (busId == null || busId.equals(PciHotplug.ROOT_BUS)) {
            return null;
        }
        PcieRootPort port = bus.rootPort(busId);
        if (port == null) {
            throw new DeviceException(id + ": bus=" + busId + ": no pcie-root-port has id=" + busId
                    + (bus.rootPortIds().isEmpty() ? "; add -device pcie-root-port,id=" + busId + ",chassis=1,slot=1 "
                            + "before it" : "; the root ports are " + bus.rootPortIds()));
        }
        if (addr[0] > 0 || addr[1] > 0 || multi) {
            throw new DeviceException(id + ": behind " + busId + " the function is device 0, function 0 (a root "
                    + "port's slot holds one device); drop addr= and multifunction=");
        }
        return port;
    }

    /** QEMU's {@code addr=SLOT[.FN]}, both hex (an optional 0x each): {slot, fn}; {-1, 0} when not given. */
    static int[] addr(String id, @Nullable String addr) throws DeviceException {
        if (addr == null) {
            return new int[] {-1, 0};
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:0x)?([0-9a-fA-F]{1,2})(?:\\.(?:0x)?([0-7]))?")
                .matcher(addr);
        if (m.matches()) {
            int slot = Integer.parseInt(m.group(1), 16);
            if (slot < PciRootBus.SLOTS) {
                return new int[] {slot, m.group(2) == null ? 0 : Integer.parseInt(m.group(2))};
            }
        }
        throw new DeviceException(id + ": addr=" + addr + " is not a PCI address on the root bus; give SLOT[.FN] in "
                + "hex, the device number 01 to 1f and the function 0 to 7 (addr=05.1)");
    }
}
