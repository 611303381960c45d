package org.vfio4j.virt.run;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.GuestContainer;
import org.vfio4j.common.GuestIoas;
import org.vfio4j.common.IommuType;
import org.vfio4j.common.IommufdIoas;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.KvmVfioDevice;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioDevice;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.device.RunningGuest;
import org.vfio4j.virt.emu.MmioBus;
import org.vfio4j.virt.emu.MmioDevice;
import org.vfio4j.virt.kvm.KvmIrqRouting;
import org.vfio4j.virt.kvm.KvmVm;
import org.vfio4j.virt.kvm.MemorySlot;

/**
 * {@link RunningGuest} over one KVM VM: memory slots, the MMIO bus the vCPU threads dispatch to, the VM's
 * interrupt routing and its KVM-VFIO device.
 *
 * <p>Why the KVM-VFIO device is created lazily: a machine without assigned devices should not need the
 * host's {@code kvm} VFIO support; {@link #close()} releases it after the devices are stopped.
 */
final class KvmGuest implements RunningGuest, AutoCloseable {
    private final KvmVm vm;
    private final MmioBus bus;
    private final KvmIrqRouting routing;
    private final GuestRam ram;
    private final PrintStream messages;
    private @Nullable KvmVfioDevice kvmVfio;
    private @Nullable GuestContainer vfio;
    private final IommufdFiles iommufds;
    private final Map<String, GuestIoas> ioases = new LinkedHashMap<>();
    private final RunControl control;

    KvmGuest(KvmVm vm, MmioBus bus, KvmIrqRouting routing, GuestRam ram, PrintStream messages, IommufdFiles iommufds,
            RunControl control) {
        this.control = control;
        this.messages = messages;
        this.iommufds = iommufds;
        this.vm = vm;
        this.bus = bus;
        this.routing = routing;
        this.ram = ram;
    }

    @Override
    public Attachment mapMemory(String what, long guestAddress, MemorySegment host) {
        MemorySlot slot = vm.mapMemory(guestAddress, host, false);
        return slot::close;
    }

    @Override
    public Attachment trap(String what, MmioRange range, MmioDevice device) {
        MmioBus.Window w = bus.add(range, what, device);
        return w::close;
    }

    @Override
    public IrqRouter router(int devid) {
        return routing.router(devid);
    }

    @Override
    public void setSpiLevel(int spi, boolean asserted) {
        vm.irqLine(spi, asserted);
    }

    @Override
    public void report(String line) {
        messages.println(line);
    }

    @Override
    public void hostError(String message) {
        report(message);
        // not on the caller's thread: a pause waits for every vCPU to park, and a vCPU may be waiting for the
        // device model the caller is in
        Thread.ofVirtual().name("virt-host-error").start(() -> {
            try {
                control.pause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Override
    public MmioRange ramRange() {
        return ram.range();
    }

    @Override
    public MemorySegment ram() {
        return ram.memory();
    }

    @Override
    public synchronized KvmVfioDevice kvmVfio() {
        KvmVfioDevice d = kvmVfio;
        if (d == null) {
            d = vm.createVfioDevice();
            kvmVfio = d;
        }
        return d;
    }

    @Override
    public synchronized GuestContainer vfio() {
        GuestContainer c = vfio;
        if (c == null) {
            c = new GuestContainer(VfioContainer::open, ram.memory(), ram.range().base(), new GuestContainer.Listener() {
                @Override
                public void ramMapped(IommuType backend, Set<DmaPermission> permissions, Duration took) {
                    report("virt: VFIO container (" + backend + "): guest RAM " + ram.range()
                            + " DMA-mapped at IOVA = guest physical address in " + took.toMillis() + " ms"
                            + (permissions.contains(DmaPermission.EXEC)
                                    ? ", executable by the devices (Type1 maps everything so)" : ""));
                }

                @Override
                public void joined(VfioGroup group) {
                    kvmVfio().add(group);
                    report("virt: IOMMU group " + group.number() + " in the container, registered with KVM-VFIO");
                }

                @Override
                public void leaving(VfioGroup group) {
                    try {
                        kvmVfio().remove(group);
                    } catch (RuntimeException e) {
                        // the KVM-VFIO device is already gone; the kernel dropped the group with it
                    }
                }

                @Override
                public void released() {
                    report("virt: guest RAM DMA-unmapped, VFIO container closed: the host devices are free");
                }
            });
            vfio = c;
        }
        return c;
    }

    @Override
    public synchronized GuestIoas ioas(String id) {
        GuestIoas existing = ioases.get(id);
        if (existing != null) {
            return existing;
        }
        GuestIoas g = new GuestIoas(() -> IommufdIoas.adopt(iommufds.copyOf(id)), ram.memory(), ram.range().base(),
                new GuestIoas.Listener() {
                    @Override
                    public void ramMapped(IommufdIoas ioas, Set<DmaPermission> permissions, Duration took) {
                        report("virt: iommufd " + id + ", IOAS " + ioas.ioasId() + ": guest RAM " + ram.range()
                                + " DMA-mapped at IOVA = guest physical address in " + took.toMillis() + " ms");
                    }

                    @Override
                    public void joined(VfioDevice device) {
                        kvmVfio().add(device);
                        report("virt: " + device.name() + " in iommufd " + id + " through its cdev, registered with KVM-VFIO");
                    }

                    @Override
                    public void leaving(VfioDevice device) {
                        try {
                            kvmVfio().remove(device);
                        } catch (RuntimeException e) {
                            // the KVM-VFIO device is already gone; the kernel dropped the device with it
                        }
                    }

                    @Override
                    public void released() {
                        report("virt: guest RAM DMA-unmapped, iommufd " + id + "'s IOAS freed: the host devices are free");
                    }
                });
        ioases.put(id, g);
        return g;
    }

    /**
     * Releases what the devices left of the VFIO container (nothing, when each stopped cleanly) and the KVM-VFIO
     * device, if one was created; the VM and the RAM belong to the runner, which frees RAM after this.
     */
    @Override
    public synchronized void close() {
        GuestContainer c = vfio;
        KvmVfioDevice d = kvmVfio;
        vfio = null;
        kvmVfio = null;
        try {
            if (c != null) {
                c.close();
            }
            for (GuestIoas g : ioases.values()) {
                g.close();
            }
            ioases.clear();
        } finally {
            if (d != null) {
                d.close();
            }
        }
    }
}
