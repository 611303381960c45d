package org.vfio4j.virt.builtin;

import java.util.Arrays;
import java.util.List;

import org.vfio4j.common.dt.DtNode;
import org.vfio4j.virt.board.Trigger;
import org.vfio4j.virt.device.Device;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.DeviceProps;
import org.vfio4j.virt.device.DeviceType;
import org.vfio4j.virt.device.PlatformAllocation;
import org.vfio4j.virt.device.PlatformBus;
import org.vfio4j.virt.device.PropertySpec;
import org.vfio4j.virt.device.SimpleSysBusDevice;

import jakarta.inject.Inject;

/**
 * {@code platform-stub}: reserves MMIO space and SPIs on the platform bus and describes them with the
 * given {@code compatible}, with no device behind them. Nothing answers its MMIO.
 *
 * <p>Why it exists: it is the smallest honest platform-bus device — it exercises allocation, node
 * placement and {@code -device} property handling end to end, lets a guest's device-tree parsing be
 * tested without host hardware, and is the model a plugin's first type can copy.
 */
public final class PlatformStubType implements DeviceType {
    /** The {@code -device} name. */
    public static final String NAME = "platform-stub";

    private final PlatformBus bus;

    @Inject
    PlatformStubType(PlatformBus bus) {
        this.bus = bus;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "reserves platform-bus MMIO and SPIs and describes them in the device tree (no device behind them)";
    }

    @Override
    public Bus bus() {
        return Bus.PLATFORM;
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.requiredString("compat", "compatible strings, separated by ';' (e.g. acme,widget;acme,base)"),
                PropertySpec.size("size", "MMIO region size (rounded up to 64K)", 4096),
                PropertySpec.uint("irqs", "number of SPIs", 1),
                PropertySpec.bool("edge", "edge-triggered interrupts instead of level-high", false));
    }

    @Override
    public Device create(DeviceProps props) throws DeviceException {
        List<String> compat = Arrays.stream(props.string("compat").split(";")).filter(s -> !s.isEmpty()).toList();
        if (compat.isEmpty()) {
            throw new DeviceException("-device " + NAME + ": compat= needs at least one compatible string");
        }
        long irqs = props.uint("irqs");
        if (irqs > 64) {
            throw new DeviceException("-device " + NAME + ": irqs=" + irqs + " is more than the platform bus's 64 SPIs");
        }
        PlatformAllocation a = bus.allocate(props.id(), List.of(props.uint("size")), (int) irqs);
        DtNode node;
        try {
            node = a.nodeBuilder(nodeName(compat.getFirst()), compat,
                    props.bool("edge") ? Trigger.EDGE_RISING : Trigger.LEVEL_HIGH).build();
        } catch (IllegalArgumentException e) {
            throw new DeviceException("-device " + NAME + ": " + e.getMessage());
        }
        return new SimpleSysBusDevice(props.id(), a, node);
    }

    /** Node name from the first compatible: the part after the vendor prefix ({@code acme,widget} → {@code widget}). */
    private static String nodeName(String compatible) {
        int comma = compatible.indexOf(',');
        return compatible.substring(comma + 1);
    }
}
