package org.vfio4j.virt;

import java.util.List;

import org.vfio4j.common.dt.DtNode;
import org.vfio4j.virt.board.BootLayout;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.device.Device;
import org.vfio4j.virt.device.PlatformAllocation;

/**
 * The machine after assembly: its memory map, its devices (created from {@code -device} in order),
 * the platform-bus allocations they received, the boot layout and the complete device tree. This is
 * what a {@link MachineRunner} starts and what reports and tests query.
 */
public record AssembledMachine(MachineConfig config, MemoryMap memoryMap, List<Device> devices,
        List<PlatformAllocation> platformAllocations, BootLayout boot, DtNode deviceTree) {

    public AssembledMachine {
        devices = List.copyOf(devices);
        platformAllocations = List.copyOf(platformAllocations);
    }

    /** A few lines for the terminal: memory map, CPUs, boot layout, platform-bus allocations. */
    public String report() {
        StringBuilder b = new StringBuilder();
        b.append("virt: ").append(config.cpus()).append(" CPU(s), memory map:\n");
        memoryMap.describe().forEach(l -> b.append(l).append('\n'));
        b.append("  kernel          ").append(boot.kernel())
                .append(switch (boot.format()) {
                    case IMAGE -> "";
                    case RAW -> " (raw binary, no arm64 Image header: entered at its first byte, DTB in X0)";
                    case ELF -> String.format(" (ELF: entered at 0x%x, not as Linux)", boot.entry());
                }).append('\n');
        if (boot.initrd() instanceof org.vfio4j.virt.board.MmioRange r) {
            b.append("  initrd          ").append(r).append('\n');
        }
        b.append("  dtb             ").append(boot.dtb()).append('\n');
        if (config.ramBackend().kind() != org.vfio4j.virt.RamBackend.Kind.ANONYMOUS) {
            b.append("  ram backend     ").append(config.ramBackend().describe()).append('\n');
        }
        for (PlatformAllocation a : platformAllocations) {
            b.append("  platform-bus    ").append(a.describe()).append('\n');
        }
        return b.toString();
    }
}
