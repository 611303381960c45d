package org.vfio4j.virt.run;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sandbox.Sandbox;
import org.vfio4j.common.sandbox.SandboxException;
import org.vfio4j.virt.AssembledMachine;
import org.vfio4j.virt.BootTrace;
import org.vfio4j.virt.MachineRunner;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.board.Pl061;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.emu.MmioBus;
import org.vfio4j.virt.emu.Pl011Uart;
import org.vfio4j.virt.emu.Pl061Gpio;
import org.vfio4j.virt.kvm.ArmKvmAbi;
import org.vfio4j.virt.kvm.KvmException;
import org.vfio4j.virt.kvm.KvmIrqRouting;
import org.vfio4j.virt.kvm.KvmVcpu;
import org.vfio4j.virt.kvm.KvmVm;
import org.vfio4j.virt.pci.PciRootBus;

import jakarta.inject.Inject;

/**
 * Runs the assembled machine on KVM (arm64): takes the VM its {@link Preboot} made ready (RAM slot with the kernel
 * and initrd in it, vCPUs, vGICv3 and ITS), writes the DTB into RAM, sets the boot registers, puts the PL011 on
 * stdio, starts the devices and runs one thread per vCPU until the guest powers off, crashes, or the VMM
 * gets SIGTERM — then every vCPU is stopped and every fd, mapping and arena released. A reset (the guest's or
 * QMP's) does the same and then boots again on a fresh VM set up as at start, the devices started anew (an
 * assigned device is reset by VFIO when it is released and opened again), unless {@code -no-reboot}.
 *
 * <p>Why the VM comes from a {@link Preboot}: its set-up needs only the command line, so {@code Main} starts it
 * before Guice and it is done by the time the machine is assembled; the preboot is bound in {@code RunnerModule}
 * (an on-demand one, run here when joined, when nobody started one). Its failures — a host that cannot run guests
 * (checked before {@code /dev/kvm} is opened, so the person hears where this can run, not an ioctl error), a
 * kernel without the arm64 Image header, a KVM refusal — end the run here with the same line and status as before.
 */
public final class KvmRunner implements MachineRunner {
    private final PciRootBus pciRoot;
    private final Preboot preboot;
    private final RunControl control;
    /** Released once everything is closed and the outcome printed; the SIGTERM hook waits for it. */
    private final CountDownLatch finished = new CountDownLatch(1);
    private @Nullable KvmIrqRouting routing;
    private @Nullable StdinPump stdin;
    /** The run's iommufds (every boot's IOASes are made in copies of them); set for the length of {@link #run}. */
    private IommufdFiles iommufds = new IommufdFiles(java.util.Map.of());
    /** The console's terminal, raw for the length of {@link #run} when stdin is one and the console is on stdio. */
    private ConsoleTerminal terminal = ConsoleTerminal.NONE;
    /** Where the UART's bytes go ({@code -serial}), opened by the caller, for the whole run, reboots included. */
    private final SerialBackend serial;
    /** Whether the first boot has dealt with the sandbox (it stays for the process's life, reboots included). */
    private boolean confined;

    @Inject
    KvmRunner(PciRootBus pciRoot, Preboot preboot, RunControl control, SerialBackend serial) {
        this.pciRoot = pciRoot;
        this.preboot = preboot;
        this.control = control;
        this.serial = serial;
    }

    /** The VM's interrupt routing, for device types that route interrupts; null before the run. */
    public synchronized @Nullable KvmIrqRouting routing() {
        return routing;
    }

    @Override
    public int run(AssembledMachine machine, byte[] dtb, PrintStream out, PrintStream err) {
        RunOutcome end = RunOutcome.failed("the VMM failed unexpectedly (stack trace below)");
        // One SIGTERM hook for the whole run, reboots included: it ends the run and waits for the release.
        Thread hook = new Thread(() -> {
            control.finish(RunOutcome.terminated());
            try {
                finished.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "virt-sigterm");
        Runtime.getRuntime().addShutdownHook(hook);
        iommufds = new IommufdFiles(machine.config().iommufds());
        try {
            terminal = serial.isConsole() ? ConsoleTerminal.raw(0) : ConsoleTerminal.NONE;
            serial.awaitClient();
            Preboot setup = preboot;
            while (true) {
                end = boot(setup, machine, dtb, out, err);
                if (!end.isReset() || !control.rebooted()) {   // rebooted() is false once the run has ended
                    break;
                }
                err.println(end.message() + "; booting again");
                setup = Preboot.onDemand(machine.config());
            }
        } catch (Preboot.Failure e) {
            end = e.outcome();
        } catch (KvmException | SandboxException e) {
            end = RunOutcome.failed(e.getMessage());
        } catch (IllegalArgumentException e) {
            end = RunOutcome.failed(e.getMessage());
        } catch (DeviceException e) {
            end = RunOutcome.refused(e.getMessage());
        } catch (java.io.IOException e) {
            end = RunOutcome.failed("the serial socket failed before the guest started: " + e.getMessage());
        } finally {
            iommufds.close();
            terminal.close();
            control.finish(end);   // the run's end, if nobody decided it earlier (a failure before the vCPUs ran)
            RunOutcome decided = control.ended();
            end = decided != null ? decided : end;
            err.println(end.message());
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down (SIGTERM): the hook is what is waiting for us
            }
        }
        return end.status();
    }

    /** One boot on a VM of its own, until the guest powers off or resets or the run ends; the VM is closed after. */
    private RunOutcome boot(Preboot setup, AssembledMachine machine, byte[] dtb, PrintStream out, PrintStream err)
            throws Preboot.Failure, DeviceException {
        try (PreparedVm prepared = setup.join()) {
            try {
                if (!prepared.layout().sameAs(machine.boot())) {
                    return RunOutcome.failed("the kernel or initrd changed while the VMM started (loaded as "
                            + prepared.layout() + ", the device tree says " + machine.boot() + "); start it again");
                }
                GuestLoader.Entry entry = GuestLoader.loadDtb(prepared.ram().memory(), prepared.ram().range(),
                        machine.boot(), dtb);
                BootTrace.mark("loaded");
                return runVcpus(machine, prepared, entry, out, err);
            } finally {
                synchronized (this) {
                    routing = null;
                }
            }
        }
    }

    private RunOutcome runVcpus(AssembledMachine machine, PreparedVm prepared, GuestLoader.Entry entry,
            PrintStream out, PrintStream err) throws DeviceException {
        KvmVm vm = prepared.vm();
        synchronized (this) {
            routing = new KvmIrqRouting(vm, MemoryMap.GIC_SPI_COUNT,
                    vm.checkExtension(ArmKvmAbi.KVM_CAP_IRQFD_RESAMPLE) > 0);
        }
        KvmVcpu boot = prepared.cpus().get(0);
        boot.setOneReg(ArmKvmAbi.REG_PC, entry.pc());
        boot.setOneReg(ArmKvmAbi.REG_X0, entry.x0());
        boot.setOneReg(ArmKvmAbi.REG_X1, 0);
        boot.setOneReg(ArmKvmAbi.REG_X2, 0);
        boot.setOneReg(ArmKvmAbi.REG_X3, 0);
        boot.setOneReg(ArmKvmAbi.REG_PSTATE, ArmKvmAbi.PSTATE_EL1H_DAIF_MASKED);

        MmioBus bus = new MmioBus(err::println);
        bus.unclaimedReadsAllOnes(MemoryMap.PCIE_MMIO);
        bus.unclaimedReadsAllOnes(MemoryMap.PCIE_MMIO_HIGH);
        bus.unclaimedReadsAllOnes(MemoryMap.PCIE_PIO);
        Pl011Uart uart = new Pl011Uart(level -> vm.irqLine(MemoryMap.UART_SPI, level),
                serial.isConsole() ? out : serial.output());
        bus.add(MemoryMap.UART, "pl011", uart);
        bus.add(MemoryMap.PCIE_ECAM, "pcie-ecam", pciRoot.ecam());
        Pl061Gpio gpio = new Pl061Gpio(level -> vm.irqLine(MemoryMap.GPIO_SPI, level));
        bus.add(MemoryMap.GPIO, "pl061", gpio);
        control.powerButton(() -> press(gpio));
        try (KvmGuest guest = new KvmGuest(vm, bus, Objects.requireNonNull(routing()), prepared.ram(), err, iommufds,
                control);
                StartedDevices started = StartedDevices.start(machine.devices(), guest, err)) {
            StdinPump pump = stdin;
            java.io.InputStream input = serial.isConsole() ? System.in : serial.input();
            if (pump == null && input != null) {
                stdin = terminal.isRaw()
                        ? StdinPump.start(input, uart, new ConsoleEscape(), () -> control.finish(RunOutcome.consoleQuit()), err)
                        : StdinPump.start(input, uart);
            } else if (pump != null) {
                pump.feed(uart);
            }
            confine(machine, err);
            return runThreads(vm, prepared.cpus(), bus);
        } finally {
            control.powerButton(null);
            bus.flush();
        }
    }

    /**
     * The power button held for 100 ms, as QEMU's gpio-key holds it: long enough for the guest's gpio-keys
     * debounce to see a press and then a release.
     */
    private static void press(Pl061Gpio gpio) {
        gpio.setInput(Pl061.POWER_PIN, true);
        Thread.ofVirtual().name("virt-power-button").start(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            gpio.setInput(Pl061.POWER_PIN, false);
        });
    }

    /**
     * Puts the VMM in its sandbox on the first boot, with everything set up and no vCPU started: RLIMIT_MEMLOCK
     * raised to cover a reboot's pinning without CAP_IPC_LOCK, capabilities dropped (the vCPU threads start
     * after, with none), no_new_privs, the allowlist. A call off the list ends the run with its name.
     */
    private void confine(AssembledMachine machine, PrintStream err) {
        Sandbox.Mode mode = control.sandbox();
        if (mode == null || confined) {
            return;
        }
        confined = true;
        if (!Sandbox.available()) {
            String why = "this host has no seccomp filters with user notifications (a kernel with "
                    + "CONFIG_SECCOMP_FILTER, Linux 5.7 or later, on arm64)";
            if (control.sandboxRequired()) {
                throw new SandboxException("-sandbox on: " + why + "; run without it (-sandbox off)", "seccomp", 0);
            }
            err.println("vfio4j virt: running without the sandbox: " + why + ". -sandbox off silences this");
            return;
        }
        long ram = machine.config().ramBytes();
        Sandbox.install(mode, 2 * ram + (64L << 20), denial -> {
            if (mode == Sandbox.Mode.LOG) {
                err.println("vfio4j virt: sandbox: " + denial.describe() + " is not on the allowlist (x-log-denied)");
                return;
            }
            control.finish(RunOutcome.failed("the sandbox stopped " + denial.describe() + ": a call the VMM never "
                    + "needs once the guest runs. A device model that needs it runs with -sandbox off"));
        });
        BootTrace.mark("sandbox");
    }

    private RunOutcome runThreads(KvmVm vm, List<KvmVcpu> cpus, MmioBus bus) {
        CompletableFuture<RunOutcome> outcome = control.outcome();
        ExitHandler handler = new ExitHandler(bus);
        List<VcpuThread> threads = new ArrayList<>();
        // Any thread of the VMM that dies of an uncaught exception (an event loop's Error, a device's helper
        // thread) ends the run the way a vCPU failure does: with a message, a non-zero status, devices released.
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> control.finish(
                RunOutcome.failed("the VMM's thread '" + t.getName() + "' failed: " + e)));
        try {
            control.passStartGate();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Thread.setDefaultUncaughtExceptionHandler(previous);
            return RunOutcome.failed("interrupted while waiting for the first QMP client");
        }
        BootTrace.mark("vcpus");
        try {
            for (KvmVcpu cpu : cpus) {
                VcpuThread t = new VcpuThread(cpu, handler, control);
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
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
    }
}
