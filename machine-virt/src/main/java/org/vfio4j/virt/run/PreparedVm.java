package org.vfio4j.virt.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.BootTrace;
import org.vfio4j.virt.MachineConfig;
import org.vfio4j.virt.board.BootLayout;
import org.vfio4j.virt.board.Gicv3;
import org.vfio4j.virt.board.KernelImage;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.kvm.ArmKvmAbi;
import org.vfio4j.virt.kvm.Kvm;
import org.vfio4j.virt.kvm.KvmException;
import org.vfio4j.virt.kvm.KvmVcpu;
import org.vfio4j.virt.kvm.KvmVm;
import org.vfio4j.virt.kvm.MemorySlot;
import org.vfio4j.virt.kvm.VgicV3;

/**
 * A KVM VM made ready from the command line alone: {@code /dev/kvm} open with the capabilities the VMM needs, the
 * VM (40-bit IPA space), guest RAM mapped as memory slot 0 with the kernel Image and the initrd copied where
 * {@link BootLayout} plans them, every vCPU created and initialised (secondaries powered off until PSCI CPU_ON)
 * and the in-kernel vGICv3 and ITS at the memory map's addresses. What is left for the runner is what needs the
 * assembled machine: the DTB, the boot registers, the devices, the vCPU threads.
 *
 * <p>Why it can be made without Guice: every input is the command line ({@code -m}, {@code -smp}, the files) or a
 * constant of the board ({@link MemoryMap}, {@link Gicv3#INTERRUPT_IDS}), so {@link Preboot} makes it on a second
 * thread while the main thread builds the machine. It owns everything it opened and closes it in reverse order:
 * the RAM slot, the VM (with its vCPUs and vGIC), the RAM mapping, {@code /dev/kvm}.
 */
public final class PreparedVm implements AutoCloseable {
    /** IPA bits the memory map needs: the high PCIe window ends at 1 TiB. */
    static final int IPA_BITS = 64 - Long.numberOfLeadingZeros(MemoryMap.PCIE_MMIO_HIGH.end() - 1);

    private final List<AutoCloseable> owned;
    private final GuestRam ram;
    private final KvmVm vm;
    private final List<KvmVcpu> cpus;
    private final BootLayout layout;

    private PreparedVm(List<AutoCloseable> owned, GuestRam ram, KvmVm vm, List<KvmVcpu> cpus, BootLayout layout) {
        this.owned = owned;
        this.ram = ram;
        this.vm = vm;
        this.cpus = List.copyOf(cpus);
        this.layout = layout;
    }

    /** Why this host cannot run guests, or null when it is an arm64 host with {@code /dev/kvm}. */
    static @Nullable String hostProblem(String osArch, boolean devKvmExists) {
        if (!osArch.equals("aarch64")) {
            return "running a guest needs KVM on an arm64 host; this host is " + osArch + ". Run it in the aarch64 lab "
                    + "(./vfio4j lab run --arch aarch64 -- ./vfio4j virt ...), or use -machine dumpdtb=FILE to check the device tree here";
        }
        if (!devKvmExists) {
            return "running a guest needs KVM on an arm64 host; this arm64 host has no " + Kvm.PATH
                    + " (is the kernel built with KVM, and did it boot at EL2? dmesg | grep -i kvm)";
        }
        return null;
    }

    /**
     * Checks the host and the kernel file, then makes the VM ready; gives up between steps once {@code cancelled}
     * says so. On any failure what was opened is closed before the exception leaves.
     *
     * @throws Preboot.Failure the host cannot run guests (status 1) or the kernel file cannot be read as one (status 2),
     *                         with the line to print
     * @throws KvmException    KVM refused something (the ioctl, errno, what to do)
     * @throws IOException     reading the kernel or initrd failed
     * @throws IllegalArgumentException RAM too small for the files, or a boot-protocol rule broken
     * @throws CancellationException {@code cancelled} became true
     */
    static PreparedVm prepare(MachineConfig config, BooleanSupplier cancelled) throws Preboot.Failure, IOException {
        String problem = hostProblem(System.getProperty("os.arch", "?"), Files.exists(Path.of(Kvm.PATH)));
        if (problem != null) {
            throw new Preboot.Failure(new RunOutcome(1, "vfio4j virt: " + problem));
        }
        Path kernel = Objects.requireNonNull(config.kernel(), "kernel");
        KernelImage image;
        try {
            image = KernelImage.inspect(kernel);
        } catch (IOException e) {
            throw new Preboot.Failure(new RunOutcome(2, "vfio4j virt: -kernel " + kernel + ": " + e.getMessage()));
        }
        MmioRange ramRange = MemoryMap.forRam(config.ramBytes()).ram();
        BootLayout layout = BootLayout.plan(ramRange, image, BootLayout.initrdSize(config.initrd()));
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            Kvm kvm = Kvm.open();
            owned.add(kvm);
            requireCap(kvm, ArmKvmAbi.KVM_CAP_ARM_PSCI_0_2, "PSCI 0.2 (KVM_CAP_ARM_PSCI_0_2)");
            requireCap(kvm, ArmKvmAbi.KVM_CAP_IRQFD, "irqfd (KVM_CAP_IRQFD)");
            requireCap(kvm, ArmKvmAbi.KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT");
            BootTrace.mark("preboot-kvm");
            GuestRam ram = GuestRam.allocate(ramRange, config.ramBackend());
            owned.add(ram);
            KvmVm vm = kvm.createVm(IPA_BITS);
            owned.add(vm);
            MemorySlot slot = vm.mapMemory(ramRange.base(), ram.memory(), false);
            owned.add(slot);
            BootTrace.mark("preboot-vm");
            stopIf(cancelled);
            GuestLoader.loadFiles(ram.memory(), ramRange, layout, image, config.initrd());
            BootTrace.mark("preboot-files");
            stopIf(cancelled);
            List<KvmVcpu> cpus = createVcpus(vm, config.cpus());
            BootTrace.mark("preboot-vcpus");
            // after the vCPUs: KVM sizes the redistributors by the vCPUs that exist at CTRL_INIT
            VgicV3.create(vm, MemoryMap.GIC_DIST.base(), MemoryMap.GIC_REDIST.base(), Gicv3.INTERRUPT_IDS,
                    MemoryMap.GIC_ITS.base());
            return new PreparedVm(owned, ram, vm, cpus, layout);
        } catch (Throwable t) {
            closeAll(owned, t);
            throw t;
        }
    }

    private static void requireCap(Kvm kvm, int cap, String what) {
        if (kvm.checkExtension(cap) <= 0) {
            throw KvmException.refused("KVM_CHECK_EXTENSION", "this host's KVM lacks " + what + ", which the VMM needs");
        }
    }

    private static void stopIf(BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("the VMM gave up before the guest ran");
        }
    }

    /** All with PSCI 0.2; all but the boot vCPU powered off until the guest's PSCI CPU_ON. */
    private static List<KvmVcpu> createVcpus(KvmVm vm, int count) {
        int target = vm.preferredTarget();
        List<KvmVcpu> cpus = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            KvmVcpu cpu = vm.createVcpu(i);   // the VM owns it and closes it
            int features = 1 << ArmKvmAbi.KVM_ARM_VCPU_PSCI_0_2 | (i == 0 ? 0 : 1 << ArmKvmAbi.KVM_ARM_VCPU_POWER_OFF);
            cpu.init(target, features);
            cpus.add(cpu);
        }
        return cpus;
    }

    /** Guest RAM, with the kernel and initrd in place and the DTB's block still free. */
    public GuestRam ram() {
        return ram;
    }

    /** The VM. */
    public KvmVm vm() {
        return vm;
    }

    /** The vCPUs, boot vCPU first; their registers are not set yet. */
    public List<KvmVcpu> cpus() {
        return cpus;
    }

    /** Where the kernel and initrd were put and where the DTB goes. */
    public BootLayout layout() {
        return layout;
    }

    /**
     * Closes the RAM slot, the VM (vCPUs and vGIC with it), the RAM mapping and {@code /dev/kvm}, in that order;
     * stop the devices that use them first. Idempotent.
     */
    @Override
    public void close() {
        RuntimeException first = closeAll(owned, null);
        if (first != null) {
            throw first;
        }
    }

    /**
     * Closes {@code opened} in reverse order, every one even if some fail; returns the first failure (added to
     * {@code pending} as suppressed when there is one).
     */
    private static @Nullable RuntimeException closeAll(List<AutoCloseable> opened, @Nullable Throwable pending) {
        RuntimeException first = null;
        synchronized (opened) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception e) {
                    RuntimeException r = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                    if (pending != null) {
                        pending.addSuppressed(r);
                    } else if (first == null) {
                        first = r;
                    }
                }
            }
            opened.clear();
        }
        return first;
    }
}
