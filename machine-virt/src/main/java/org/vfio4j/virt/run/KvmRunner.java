package org.vfio4j.virt.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.AssembledMachine;
import org.vfio4j.virt.BootTrace;
import org.vfio4j.virt.MachineRunner;
import org.vfio4j.virt.board.Gicv3;
import org.vfio4j.virt.board.KernelImage;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.emu.MmioBus;
import org.vfio4j.virt.emu.Pl011Uart;
import org.vfio4j.virt.kvm.ArmKvmAbi;
import org.vfio4j.virt.kvm.Kvm;
import org.vfio4j.virt.kvm.KvmException;
import org.vfio4j.virt.kvm.KvmIrqRouting;
import org.vfio4j.virt.kvm.KvmVcpu;
import org.vfio4j.virt.kvm.KvmVm;
import org.vfio4j.virt.kvm.MemorySlot;
import org.vfio4j.virt.kvm.VgicV3;
import org.vfio4j.virt.pci.PciRootBus;

import jakarta.inject.Inject;

/**
 * Runs the assembled machine on KVM (arm64): RAM as a memory slot, Image + initrd + DTB loaded, vCPUs
 * created (secondaries powered off for PSCI CPU_ON), the in-kernel vGICv3 and ITS at the memory map's
 * addresses, the PL011 on stdio, one thread per vCPU, until the guest powers off, resets, crashes, or the VMM
 * gets SIGTERM — then every vCPU is stopped and every fd, mapping and arena released.
 *
 * <p>Why the host is checked before {@code /dev/kvm} is opened: on an x86 host (or one without KVM) the
 * person needs to hear where this can run, not an ioctl error.
 */
public final class KvmRunner implements MachineRunner {
    /** IPA bits the memory map needs: the high PCIe window ends at 1 TiB. */
    static final int IPA_BITS = 64 - Long.numberOfLeadingZeros(MemoryMap.PCIE_MMIO_HIGH.end() - 1);

    private final Gicv3 gic;
    private final PciRootBus pciRoot;
    /** Released once everything is closed and the outcome printed; the SIGTERM hook waits for it. */
    private final CountDownLatch finished = new CountDownLatch(1);
    private @Nullable KvmIrqRouting routing;

    @Inject
    KvmRunner(Gicv3 gic, PciRootBus pciRoot) {
        this.gic = gic;
        this.pciRoot = pciRoot;
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

    /** The VM's interrupt routing, for device types that route interrupts (issue 7/8); null before the run. */
    public synchronized @Nullable KvmIrqRouting routing() {
        return routing;
    }

    @Override
    public int run(AssembledMachine machine, byte[] dtb, PrintStream out, PrintStream err) {
        String problem = hostProblem(System.getProperty("os.arch", "?"), java.nio.file.Files.exists(Path.of(Kvm.PATH)));
        if (problem != null) {
            err.println("vfio4j virt: " + problem);
            return 1;
        }
        Path kernel = Objects.requireNonNull(machine.config().kernel(), "kernel");
        if (!machine.boot().arm64Image()) {
            err.println("vfio4j virt: -kernel " + kernel + ": no arm64 Image header (magic \"ARM\\x64\" at byte 56); "
                    + "give an uncompressed arm64 Image (arch/arm64/boot/Image)");
            return 2;
        }
        RunOutcome end = RunOutcome.failed("the VMM failed unexpectedly (stack trace below)");
        try {
            end = boot(machine, kernel, dtb, out, err);
        } catch (KvmException e) {
            end = RunOutcome.failed(e.getMessage());
        } catch (IOException e) {
            end = RunOutcome.failed("cannot load the guest: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            end = RunOutcome.failed(e.getMessage());
        } catch (DeviceException e) {
            end = RunOutcome.refused(e.getMessage());
        } finally {
            err.println(end.message());
            finished.countDown();
        }
        return end.status();
    }

    private RunOutcome boot(AssembledMachine machine, Path kernel, byte[] dtb, PrintStream out, PrintStream err)
            throws IOException, DeviceException {
        KernelImage image = KernelImage.inspect(kernel);
        try (Kvm kvm = Kvm.open()) {
            requireCap(kvm, ArmKvmAbi.KVM_CAP_ARM_PSCI_0_2, "PSCI 0.2 (KVM_CAP_ARM_PSCI_0_2)");
            requireCap(kvm, ArmKvmAbi.KVM_CAP_IRQFD, "irqfd (KVM_CAP_IRQFD)");
            requireCap(kvm, ArmKvmAbi.KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT");
            try (GuestRam ram = GuestRam.allocate(machine.memoryMap().ram()); KvmVm vm = kvm.createVm(IPA_BITS)) {
                MemorySlot slot = vm.mapMemory(ram.range().base(), ram.memory(), false);
                try {
                    GuestLoader.Entry entry = GuestLoader.load(ram.memory(), ram.range(), machine.boot(),
                            image.textOffset(), kernel, machine.config().initrd(), dtb);
                    BootTrace.mark("loaded");
                    return runVcpus(machine, vm, ram, entry, out, err);
                } finally {
                    synchronized (this) {
                        routing = null;
                    }
                    slot.close();
                }
            }
        }
    }

    private static void requireCap(Kvm kvm, int cap, String what) {
        if (kvm.checkExtension(cap) <= 0) {
            throw KvmException.refused("KVM_CHECK_EXTENSION", "this host's KVM lacks " + what + ", which the VMM needs");
        }
    }

    private RunOutcome runVcpus(AssembledMachine machine, KvmVm vm, GuestRam ram, GuestLoader.Entry entry,
            PrintStream out, PrintStream err) throws DeviceException {
        int target = vm.preferredTarget();
        List<KvmVcpu> cpus = new ArrayList<>();
        for (int i = 0; i < machine.config().cpus(); i++) {
            KvmVcpu cpu = vm.createVcpu(i);
            int features = 1 << ArmKvmAbi.KVM_ARM_VCPU_PSCI_0_2 | (i == 0 ? 0 : 1 << ArmKvmAbi.KVM_ARM_VCPU_POWER_OFF);
            cpu.init(target, features);
            cpus.add(cpu);
        }
        VgicV3.create(vm, MemoryMap.GIC_DIST.base(), MemoryMap.GIC_REDIST.base(), gic.interruptIds(),
                MemoryMap.GIC_ITS.base());
        synchronized (this) {
            routing = new KvmIrqRouting(vm, MemoryMap.GIC_SPI_COUNT,
                    vm.checkExtension(ArmKvmAbi.KVM_CAP_IRQFD_RESAMPLE) > 0);
        }
        KvmVcpu boot = cpus.get(0);
        boot.setOneReg(ArmKvmAbi.REG_PC, entry.pc());
        boot.setOneReg(ArmKvmAbi.REG_X0, entry.x0());
        boot.setOneReg(ArmKvmAbi.REG_X1, 0);
        boot.setOneReg(ArmKvmAbi.REG_X2, 0);
        boot.setOneReg(ArmKvmAbi.REG_X3, 0);
        boot.setOneReg(ArmKvmAbi.REG_PSTATE, ArmKvmAbi.PSTATE_EL1H_DAIF_MASKED);

        MmioBus bus = new MmioBus(err::println);
        Pl011Uart uart = new Pl011Uart(level -> vm.irqLine(MemoryMap.UART_SPI, level), out);
        bus.add(MemoryMap.UART, "pl011", uart);
        bus.add(MemoryMap.PCIE_ECAM, "pcie-ecam", pciRoot.ecam());
        try (KvmGuest guest = new KvmGuest(vm, bus, Objects.requireNonNull(routing()), ram, err);
                StartedDevices started = StartedDevices.start(machine.devices(), guest, err)) {
            StdinPump.start(System.in, uart);
            return runThreads(vm, cpus, bus);
        }
    }

    private RunOutcome runThreads(KvmVm vm, List<KvmVcpu> cpus, MmioBus bus) {
        CompletableFuture<RunOutcome> outcome = new CompletableFuture<>();
        ExitHandler handler = new ExitHandler(bus);
        List<VcpuThread> threads = new ArrayList<>();
        Thread hook = new Thread(() -> {
            outcome.complete(RunOutcome.terminated());
            try {
                finished.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "virt-sigterm");
        Runtime.getRuntime().addShutdownHook(hook);
        BootTrace.mark("vcpus");
        try {
            for (KvmVcpu cpu : cpus) {
                VcpuThread t = new VcpuThread(cpu, handler, outcome);
                threads.add(t);
                t.start();
            }
            return outcome.join();
        } finally {
            for (VcpuThread t : threads) {
                t.stop();
            }
            for (VcpuThread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down (SIGTERM): the hook is what is waiting for us
            }
        }
    }
}
