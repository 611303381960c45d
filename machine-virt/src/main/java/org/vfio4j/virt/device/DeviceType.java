package org.vfio4j.virt.device;

import java.util.List;

/**
 * A kind of device {@code -device NAME,...} can create, registered by name in a Guice module
 * ({@link DeviceTypes#register}); the framework's own types and plugin jars' types register the same
 * way.
 *
 * <p>Why a factory per type, bound in Guice: a type gets what it needs from the machine (the
 * {@link PlatformBus}, later the PCIe host or the VFIO container) by constructor injection, and
 * creates one device per option, in command-line order, so allocation is deterministic. Every
 * registered type is constructed once per machine (also for {@code -device help}), used or not: keep
 * constructors to storing dependencies and do host work (opening VFIO devices) in {@link #create}.
 *
 * {@snippet :
 * final class StubType implements DeviceType {
 *     private final PlatformBus bus;
 *     @Inject StubType(PlatformBus bus) { this.bus = bus; }
 *     public String name() { return "my-stub"; }
 *     public String description() { return "a device that only has a node"; }
 *     public Bus bus() { return Bus.PLATFORM; }
 *     public List<PropertySpec> properties() { return List.of(); }
 *     public Device create(DeviceProps props) throws DeviceException {
 *         PlatformAllocation a = bus.allocate(props.id(), List.of(0x1000L), 1);
 *         return new SimpleSysBusDevice(props.id(), a, a.node("stub", List.of("acme,stub"), Trigger.LEVEL_HIGH));
 *     }
 * }
 * }
 */
public interface DeviceType {

    /** The bus a type's devices sit on, shown in {@code -device help}. */
    enum Bus {
        /** The platform bus (sysbus devices with MMIO windows and SPIs). */
        PLATFORM,
        /** The PCIe host bridge. */
        PCIE
    }

    /** The name {@code -device} uses, e.g. {@code vfio-platform}. */
    String name();

    /** One line for {@code -device help}. */
    String description();

    /** Which bus its devices attach to. */
    Bus bus();

    /** The properties it accepts ({@code id} is accepted for every type and is not listed here). */
    List<PropertySpec> properties();

    /**
     * Creates one device. Called once per {@code -device} option, in command-line order.
     *
     * @throws DeviceException with a message for the user when the values cannot work
     */
    Device create(DeviceProps props) throws DeviceException;
}
