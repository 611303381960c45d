package org.vfio4j.virt.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.KvmVfioDevice;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.KvmAbi;
import org.vfio4j.common.sys.Native;
import org.vfio4j.virt.kvm.ArmKvmAbi.IrqLevel;
import org.vfio4j.virt.kvm.ArmKvmAbi.IrqRouting;
import org.vfio4j.virt.kvm.ArmKvmAbi.MemoryRegion;
import org.vfio4j.virt.kvm.ArmKvmAbi.RoutingEntry;
import org.vfio4j.virt.kvm.ArmKvmAbi.VcpuInit;

/**
 * A KVM virtual machine (the VM fd): memory slots, vCPUs, in-kernel devices, interrupt lines, irqfds and GSI
 * routing — one method per ioctl, as rust-vmm's {@code VmFd}.
 *
 * <p>Why it owns its vCPUs and devices: they must be closed before the VM fd, in reverse order of creation;
 * {@link #close()} does that, so a runner that closes the VM leaks nothing.
 */
public final class KvmVm implements AutoCloseable, IrqfdOps {
    private final Kvm kvm;
    private final int fd;
    private final int runSize;
    private final BitSet slots = new BitSet();
    private final List<AutoCloseable> owned = new ArrayList<>();
    private volatile boolean closed;

    KvmVm(Kvm kvm, int fd, int runSize) {
        this.kvm = kvm;
        this.fd = fd;
        this.runSize = runSize;
    }

    int fd() {
        if (closed) {
            throw new IllegalStateException(this + " is closed; create a new VM");
        }
        return fd;
    }

    /** The system fd this VM came from. */
    public Kvm kvm() {
        return kvm;
    }

    /** KVM_CHECK_EXTENSION on the VM fd (per-VM answers, e.g. the vGIC's). */
    public int checkExtension(int cap) {
        return Math.max(Native.ioctl(fd(), ArmKvmAbi.KVM_CHECK_EXTENSION, cap), 0);
    }

    /**
     * KVM_SET_USER_MEMORY_REGION: makes {@code backing} guest memory at {@code guestAddress}. The segment's
     * arena must stay open until the returned slot is closed.
     */
    public synchronized MemorySlot mapMemory(long guestAddress, MemorySegment backing, boolean readOnly) {
        if (!backing.scope().isAlive()) {
            throw new IllegalArgumentException("the memory for guest address 0x" + Long.toHexString(guestAddress)
                    + " belongs to a closed arena");
        }
        if (backing.isReadOnly() && !readOnly) {
            throw new IllegalArgumentException("a read-only segment can only back a read-only slot");
        }
        int slot = slots.nextClearBit(0);
        setRegion(slot, readOnly ? 2 : 0, guestAddress, backing.byteSize(), backing.address());
        slots.set(slot);
        return new MemorySlot(this, slot, guestAddress, backing, readOnly);
    }

    synchronized void removeSlot(MemorySlot s) {
        if (!closed) {
            setRegion(s.slot(), 0, s.guestAddress(), 0, 0);
        }
        slots.clear(s.slot());
    }

    private void setRegion(int slot, int flags, long gpa, long size, long hva) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(MemoryRegion.LAYOUT);
            MemoryRegion.SLOT.set(r, slot);
            MemoryRegion.FLAGS.set(r, flags);
            MemoryRegion.GUEST_PHYS_ADDR.set(r, gpa);
            MemoryRegion.MEMORY_SIZE.set(r, size);
            MemoryRegion.USERSPACE_ADDR.set(r, hva);
            int e = Native.ioctl(fd(), ArmKvmAbi.KVM_SET_USER_MEMORY_REGION, r);
            if (e < 0) {
                throw new KvmException(String.format("KVM_SET_USER_MEMORY_REGION(slot %d, 0x%x+0x%x)", slot, gpa, size),
                        -e, -e == Errno.EEXIST ? "the range overlaps another slot"
                                : -e == Errno.EINVAL ? "address and size must be page aligned and inside the IPA space" : "");
            }
        }
    }

    /**
     * KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO): the pseudo device through which KVM learns the VM's VFIO groups
     * (for coherency and, on other architectures, interrupt posting).
     */
    public KvmVfioDevice createVfioDevice() {
        return KvmVfioDevice.create(fd());
    }

    /** KVM_ARM_PREFERRED_TARGET: the CPU target the host recommends for KVM_ARM_VCPU_INIT. */
    public int preferredTarget() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment init = a.allocate(VcpuInit.LAYOUT);
            int r = Native.ioctl(fd(), ArmKvmAbi.KVM_ARM_PREFERRED_TARGET, init);
            if (r < 0) {
                throw new KvmException("KVM_ARM_PREFERRED_TARGET", -r, "this KVM cannot run arm64 vCPUs");
            }
            return (int) VcpuInit.TARGET.get(init);
        }
    }

    /** KVM_CREATE_VCPU: vCPU {@code id} with its {@code kvm_run} mapped. */
    public synchronized KvmVcpu createVcpu(int id) {
        int r = Native.ioctl(fd(), ArmKvmAbi.KVM_CREATE_VCPU, id);
        if (r < 0) {
            throw new KvmException("KVM_CREATE_VCPU(" + id + ")", -r, -r == Errno.EINVAL
                    ? "more vCPUs than this host's KVM allows; use a smaller -smp" : "");
        }
        KvmVcpu cpu = KvmVcpu.map(r, id, runSize);
        owned.add(cpu);
        return cpu;
    }

    /** KVM_CREATE_DEVICE of {@code type} (e.g. {@link ArmKvmAbi#KVM_DEV_TYPE_ARM_VGIC_V3}). */
    public synchronized KvmDevice createDevice(int type) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cd = a.allocate(KvmAbi.CreateDevice.LAYOUT);
            KvmAbi.CreateDevice.TYPE.set(cd, type);
            int r = Native.ioctl(fd(), ArmKvmAbi.KVM_CREATE_DEVICE, cd);
            if (r < 0) {
                throw new KvmException("KVM_CREATE_DEVICE(type " + type + ")", -r, -r == Errno.ENODEV
                        ? "this host's KVM lacks the device (a vGICv3 needs a GICv3 host)" : "");
            }
            KvmDevice d = new KvmDevice((int) KvmAbi.CreateDevice.FD.get(cd), type);
            owned.add(d);
            return d;
        }
    }

    /**
     * KVM_IRQ_LINE for SPI {@code spi} (device-tree numbering; INTID 32 + spi): sets the line's level.
     */
    public void irqLine(int spi, boolean level) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment l = a.allocate(IrqLevel.LAYOUT);
            IrqLevel.IRQ.set(l, ArmKvmAbi.KVM_ARM_IRQ_TYPE_SPI << ArmKvmAbi.KVM_ARM_IRQ_TYPE_SHIFT | (spi + 32));
            IrqLevel.LEVEL.set(l, level ? 1 : 0);
            int r = Native.ioctl(fd(), ArmKvmAbi.KVM_IRQ_LINE, l);
            if (r < 0) {
                throw new KvmException("KVM_IRQ_LINE(SPI " + spi + ")", -r, "is the vGIC initialised?");
            }
        }
    }

    /**
     * KVM_IRQFD: each signal of {@code trigger} raises {@code gsi}; with {@code resample} non-null the line is
     * level-triggered, deasserted and {@code resample} signalled when the guest EOIs it.
     */
    @Override
    public void irqfd(EventFd trigger, int gsi, @Nullable EventFd resample) {
        irqfd(trigger.fd(), gsi, resample == null ? 0 : ArmKvmAbi.KVM_IRQFD_FLAG_RESAMPLE,
                resample == null ? 0 : resample.fd(), "KVM_IRQFD(gsi " + gsi + ")");
    }

    /** KVM_IRQFD with KVM_IRQFD_FLAG_DEASSIGN: stops {@code trigger} raising {@code gsi}. */
    @Override
    public void irqfdDeassign(EventFd trigger, int gsi) {
        irqfd(trigger.fd(), gsi, ArmKvmAbi.KVM_IRQFD_FLAG_DEASSIGN, 0, "KVM_IRQFD(deassign gsi " + gsi + ")");
    }

    private void irqfd(int efd, int gsi, int flags, int resamplefd, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(KvmAbi.Irqfd.LAYOUT);
            KvmAbi.Irqfd.FD.set(s, efd);
            KvmAbi.Irqfd.GSI.set(s, gsi);
            KvmAbi.Irqfd.FLAGS.set(s, flags);
            KvmAbi.Irqfd.RESAMPLEFD.set(s, resamplefd);
            int r = Native.ioctl(fd(), ArmKvmAbi.KVM_IRQFD, s);
            if (r < 0) {
                throw new KvmException(what, -r, -r == Errno.EBUSY ? "the eventfd is already routed"
                        : -r == Errno.EINVAL ? "no route for the GSI, or resample on an edge route" : "");
            }
        }
    }

    /** KVM_SET_GSI_ROUTING: replaces the whole routing table with {@code routes}. */
    @Override
    public void setGsiRouting(List<GsiRoute> routes) {
        try (Arena a = Arena.ofConfined()) {
            long entry = RoutingEntry.LAYOUT.byteSize();
            MemorySegment t = a.allocate(IrqRouting.LAYOUT.byteSize() + entry * routes.size(), 8);
            IrqRouting.NR.set(t, routes.size());
            for (int i = 0; i < routes.size(); i++) {
                GsiRoute g = routes.get(i);
                MemorySegment e = t.asSlice(IrqRouting.LAYOUT.byteSize() + entry * i, entry);
                RoutingEntry.GSI.set(e, g.gsi());
                RoutingEntry.TYPE.set(e, g.type());
                if (g.type() == ArmKvmAbi.KVM_IRQ_ROUTING_MSI) {
                    RoutingEntry.FLAGS.set(e, ArmKvmAbi.KVM_MSI_VALID_DEVID);
                    RoutingEntry.ADDRESS_LO.set(e, (int) g.msiAddress());
                    RoutingEntry.ADDRESS_HI.set(e, (int) (g.msiAddress() >>> 32));
                    RoutingEntry.DATA.set(e, g.msiData());
                    RoutingEntry.DEVID.set(e, g.devid());
                } else {
                    RoutingEntry.IRQCHIP.set(e, 0);
                    RoutingEntry.PIN.set(e, g.pin());
                }
            }
            int r = Native.ioctl(fd(), ArmKvmAbi.KVM_SET_GSI_ROUTING, t);
            if (r < 0) {
                throw new KvmException("KVM_SET_GSI_ROUTING(" + routes.size() + " routes)", -r,
                        "is the vGIC (and for MSIs the ITS) initialised?");
            }
        }
    }

    /** Closes the VM's devices and vCPUs (reverse order) and the VM fd; memory slots go with the VM. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                // closing fds does not fail in a way we could act on; carry on closing the rest
            }
        }
        owned.clear();
        Native.close(fd);
    }

    @Override
    public String toString() {
        return "KvmVm(fd " + fd + ")";
    }
}
