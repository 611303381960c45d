package org.vfio4j.virt;

import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.virt.board.BootLayout;
import org.vfio4j.virt.board.BootLoader;
import org.vfio4j.virt.board.Cpus;
import org.vfio4j.virt.board.Gicv3;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.board.PcieHost;
import org.vfio4j.virt.board.Pl011;
import org.vfio4j.virt.board.Pl061;
import org.vfio4j.virt.device.Device;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.DeviceRegistry;
import org.vfio4j.virt.device.DeviceSpec;
import org.vfio4j.virt.device.PlatformBusAllocator;
import org.vfio4j.virt.device.SysBusDevice;

import jakarta.inject.Inject;

/**
 * The virt board put together: it creates the {@code -device} devices in command-line order through
 * the registry, then assembles the device tree from the board's parts and the devices' own nodes.
 *
 * <p>Why the machine adds the root, memory, CPUs, GIC, timer, UART, PCIe host and chosen itself and
 * takes only device nodes from devices: those parts are fixed by the board, and their addresses come
 * from one {@link MemoryMap}; devices vary and describe themselves.
 */
public final class VirtMachine {
    private final MachineConfig config;
    private final MemoryMap map;
    private final Cpus cpus;
    private final Gicv3 gic;
    private final Pl011 uart;
    private final Pl061 gpio;
    private final PcieHost pcie;
    private final PlatformBusAllocator platformBus;
    private final BootLoader loader;
    private final DeviceRegistry registry;
    private boolean assembled;

    @Inject
    VirtMachine(MachineConfig config, MemoryMap map, Cpus cpus, Gicv3 gic, Pl011 uart, Pl061 gpio, PcieHost pcie,
            PlatformBusAllocator platformBus, BootLoader loader, DeviceRegistry registry) {
        this.config = config;
        this.map = map;
        this.cpus = cpus;
        this.gic = gic;
        this.uart = uart;
        this.gpio = gpio;
        this.pcie = pcie;
        this.platformBus = platformBus;
        this.loader = loader;
        this.registry = registry;
    }

    /**
     * Creates the devices and the device tree. Once per machine: devices hold bus resources, so a
     * second assembly needs a new injector ({@link IllegalStateException} otherwise).
     *
     * @throws DeviceException when a {@code -device} option cannot be satisfied
     * @throws UsageException   when {@code -m} is too small for the kernel, initrd and device tree
     */
    public synchronized AssembledMachine assemble() throws DeviceException, UsageException {
        if (assembled) {
            throw new IllegalStateException("this virt machine is already assembled; create a new injector for another one");
        }
        assembled = true;
        BootLayout boot;
        try {
            boot = loader.layout();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        List<Device> devices = new ArrayList<>();
        List<DtNode> platformNodes = new ArrayList<>();
        for (DeviceSpec spec : config.devices()) {
            Device d = registry.create(spec);
            devices.add(d);
            if (d instanceof SysBusDevice s) {
                platformNodes.add(s.deviceTreeNode());
            }
        }
        DtNode memory = DtNode.builder("memory").unitAddress(map.ram().base())
                .property(DtProperty.addressCells("reg", new int[] {2, 2}, map.ram().base(), map.ram().size()))
                .property(DtProperty.strings("device_type", "memory"))
                .build();
        DtNode root = DtNode.root()
                .property(DtProperty.phandle("interrupt-parent", Gicv3.LABEL))
                .property(DtProperty.strings("model", "linux,dummy-virt"))
                .property(DtProperty.u32("#size-cells", 2))
                .property(DtProperty.u32("#address-cells", 2))
                .property(DtProperty.strings("compatible", "linux,dummy-virt"))
                .child(cpus.psciNode())
                .child(memory)
                .child(platformBus.node(platformNodes))
                .child(pcie.node())
                .child(uart.node())
                .child(gpio.node())
                .child(gpio.keysNode())
                .child(gic.node())
                .child(cpus.cpusNode())
                .child(cpus.timerNode())
                .child(uart.clockNode())
                .child(loader.chosenNode(boot))
                .build();
        return new AssembledMachine(config, map, devices, platformBus.allocations(), boot, root);
    }
}
