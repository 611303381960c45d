package org.vfio4j.virt.builtin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.vfio4j.common.dt.DtNode;
import org.vfio4j.platform.HostPlatformDevice;
import org.vfio4j.platform.PassthroughOptions;
import org.vfio4j.platform.PlatformPassthrough;
import org.vfio4j.platform.PlatformSetupException;
import org.vfio4j.virt.device.Device;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.DeviceProps;
import org.vfio4j.virt.device.DeviceType;
import org.vfio4j.virt.device.PlatformAllocation;
import org.vfio4j.virt.device.PlatformBus;
import org.vfio4j.virt.device.PropertySpec;

/**
 * What every assigned-platform-device type shares: the properties ({@code host=}/{@code sysfsdev=},
 * {@code compat=}, {@code x-no-iommu}, {@code x-no-mmap}), finding the host device in sysfs, asking the
 * platform bus for one range per host {@code reg} entry and one SPI per host interrupt, and turning
 * {@link PlatformSetupException}s into {@link DeviceException}s (exit 2, one line).
 *
 * <p>Why an abstract class public to plugins: {@code vfio-platform}, {@code vfio-amba} and plugin types such
 * as devices-calxeda's {@code vfio-calxeda-xgmac} differ only in which host devices they accept, the
 * {@link PlatformPassthrough} they build and the node they write. Nothing here opens VFIO: the machine's
 * layout and {@code dumpdtb} come from sysfs facts ({@code sysfsdev=} points at any directory, which is how
 * the tests give a synthetic tree).
 */
public abstract class PlatformPassthroughType implements DeviceType {
    private static final Path SYS = Path.of("/sys");

    private final PlatformBus bus;

    /** A type allocating on {@code bus}. */
    protected PlatformPassthroughType(PlatformBus bus) {
        this.bus = bus;
    }

    @Override
    public final Bus bus() {
        return Bus.PLATFORM;
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.string("host", "host device name in /sys/bus/platform/devices or /sys/bus/amba/devices", null),
                PropertySpec.string("sysfsdev", "host device's sysfs directory (instead of host=)", null),
                PropertySpec.string("compat", "guest compatible strings, separated by ';' (default: the host node's)", null),
                PropertySpec.bool("x-no-iommu", "accept a device in a no-IOMMU group (UNSAFE: no guest memory is mapped "
                        + "for it, but nothing stops its DMA reaching any host memory)", false),
                PropertySpec.bool("x-no-iommu-unsafe-dma", "with x-no-iommu, also accept a device type that masters DMA "
                        + "(the guest can then read and write all host memory)", false),
                PropertySpec.bool("x-no-mmap", "trap every region access instead of mapping the regions", false));
    }

    /**
     * Checks that the host device suits this type (bus, compatible); throw {@link PlatformSetupException}
     * saying which type to use instead.
     */
    protected abstract void accept(HostPlatformDevice host);

    /** The model for {@code host}; specialisations return their subclass. */
    protected PlatformPassthrough passthrough(HostPlatformDevice host, PassthroughOptions options) {
        return new PlatformPassthrough(host, options);
    }

    /** The node for the guest; the default is the model's ({@link PlatformPassthrough#deviceTreeNode}). */
    protected DtNode node(PlatformPassthrough model, AllocationPlacement placement) {
        return model.deviceTreeNode(placement);
    }

    @Override
    public final Device create(DeviceProps props) throws DeviceException {
        String prefix = "-device " + name() + ": ";
        String host = props.stringOrNull("host");
        String sysfsdev = props.stringOrNull("sysfsdev");
        if ((host == null) == (sysfsdev == null)) {
            throw new DeviceException(prefix + "give the host device with host=NAME (e.g. host=9010000.pl031) or "
                    + "sysfsdev=DIR, exactly one of them");
        }
        String compat = props.stringOrNull("compat");
        List<String> compatible = compat == null ? List.of()
                : Arrays.stream(compat.split(";")).filter(s -> !s.isEmpty()).toList();
        PassthroughOptions options = new PassthroughOptions(compatible, props.bool("x-no-iommu"), props.bool("x-no-mmap"),
                props.bool("x-no-iommu-unsafe-dma"));
        try {
            HostPlatformDevice dev = host != null ? HostPlatformDevice.locate(SYS, host) : HostPlatformDevice.at(Path.of(sysfsdev));
            accept(dev);
            PlatformPassthrough model = passthrough(dev, options);
            if (dev.triggers().size() > 64) {
                throw new PlatformSetupException(dev.name() + " has " + dev.triggers().size() + " interrupts, more than the "
                        + "platform bus's 64 SPIs");
            }
            PlatformAllocation a = bus.allocate(props.id(), new ArrayList<>(dev.regSizes()), dev.triggers().size());
            AllocationPlacement placement = new AllocationPlacement(a, dev.regSizes());
            DtNode node = node(model, placement);
            model.warnings().forEach(System.err::println); // the terminal's stderr: unsafe modes are loud
            return new VfioSysBusDevice(props.id(), name(), model, placement, node);
        } catch (PlatformSetupException | IllegalArgumentException e) {
            throw new DeviceException(prefix + e.getMessage(), e);
        }
    }
}
