package org.vfio4j.virt;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.DeviceRegistry;
import org.vfio4j.virt.device.DeviceSpec;
import org.vfio4j.virt.fdt.FdtException;
import org.vfio4j.virt.fdt.FdtWriter;
import org.vfio4j.virt.inject.VirtModules;
import org.vfio4j.virt.plugin.PluginJars;
import org.vfio4j.virt.pci.ManagedHosts;
import org.vfio4j.virt.pci.PciHotplug;
import org.vfio4j.virt.pci.PciRootBus;
import org.vfio4j.virt.qmp.QmpServer;
import org.vfio4j.virt.run.Preboot;
import org.vfio4j.virt.run.RunControl;
import org.vfio4j.virt.run.SerialBackend;

import com.google.inject.ConfigurationException;
import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import com.google.inject.spi.Message;

/**
 * {@code ./vfio4j virt ...}: parses the options, loads plugin jars, builds the machine with Guice,
 * creates the devices, writes the device tree and either dumps it ({@code -machine dumpdtb=FILE},
 * status 0) or hands the machine to the {@link MachineRunner}. When a guest will run, its KVM set-up
 * ({@link Preboot}) starts right after the options are parsed, beside Guice, and the runner joins it. QMP
 * sockets ({@code -qmp}) listen before anything else is built, so a manager can connect, ask the status and
 * {@code cont} a {@code -S} machine as soon as the VMM has started; they close last, after the devices are
 * released, so clients see the {@code SHUTDOWN} event.
 *
 * <p>Exit statuses: 0 done, 1 a failure that is not the user's (libfdt, I/O, no KVM), 2 a mistake on
 * the command line, reported in one line without a stack trace. {@link #run} does all the work and
 * returns the status, so tests call it in-process.
 */
public final class Main {
    private Main() {
    }

    /** Entry point for the launcher. */
    public static void main(String[] args) {
        BootTrace.mark("main");
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, out, err, true));
    }

    /**
     * Runs {@code virt} with {@code args}, printing to {@code out}/{@code err}; returns the exit status. The
     * sandbox is off unless {@code -sandbox on} is given: the filter would bind the calling program's process for
     * as long as it lives.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, false);
    }

    /** {@link #run}, with {@code ownProcess} true when the VMM is all the process does (the default sandbox is on). */
    private static int run(String[] args, PrintStream out, PrintStream err, boolean ownProcess) {
        if (!mentionsHelp(args)) {
            StartupWarmer.start();   // as early as can be: it races the main thread to the first native calls
        }
        try {
            CommandLine cl = CommandLine.parse(args);
            if (cl.usage()) {
                out.print(CommandLine.USAGE);
                return 0;
            }
            if (cl.version()) {
                out.println(version());
                return 0;
            }
            MachineConfig config = cl.config();
            ControlOptions options = cl.control();
            boolean runs = cl.deviceHelp() == null && config.dumpDtb() == null;
            if (options.startPaused() && options.qmp().isEmpty() && runs) {
                throw new UsageException("-S waits for QMP's cont, but no QMP socket is given; add "
                        + "-qmp unix:PATH,server=on,wait=off");
            }
            RunControl control = new RunControl(options.startPaused(), !options.noReboot(),
                    options.sandbox().mode(ownProcess), options.sandbox().required());
            Path pidPath = options.pidFile();
            try (PidFile pid = runs && pidPath != null ? PidFile.claim(pidPath) : null;
                    QmpServer qmp = runs && !options.qmp().isEmpty()
                            ? QmpServer.open(options.qmp(), control, options.name(), err) : null;
                    Preboot preboot = preboot(cl);
                    SerialBackend serial = runs ? SerialBackend.open(options.serial(), err) : SerialBackend.console();
                    PluginJars plugins = PluginJars.load(config.pluginDirs())) {
                BootTrace.mark("parsed");
                Injector injector = Guice.createInjector(
                        VirtModules.machine(config, preboot, control, serial, plugins.modules()));
                BootTrace.mark("injector");
                DeviceSpec help = cl.deviceHelp();
                if (help != null) {
                    DeviceRegistry registry = injector.getInstance(DeviceRegistry.class);
                    out.print(help.type().isEmpty() ? registry.help() : registry.help(help.type()));
                    return 0;
                }
                config.requireBootFiles();
                ManagedHosts managed = injector.getInstance(ManagedHosts.class);
                managed.report(err);
                try {
                    return assembleAndRun(injector, config, qmp, out, err);
                } finally {
                    managed.devicesClosed();
                    managed.restore();
                }
            }
        } catch (UsageException | DeviceException e) {
            err.println("vfio4j virt: " + e.getMessage());
            return 2;
        } catch (CreationException e) {
            return guiceFailure(e.getErrorMessages(), e, err);
        } catch (ProvisionException e) {
            return guiceFailure(e.getErrorMessages(), e, err);
        } catch (ConfigurationException e) {
            return guiceFailure(e.getErrorMessages(), e, err);
        } catch (FdtException e) {
            err.println("vfio4j virt: device tree: " + e.getMessage());
            return 1;
        } catch (IOException | UncheckedIOException e) {
            err.println("vfio4j virt: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("vfio4j virt: interrupted while waiting for the first QMP client");
            return 1;
        }
    }

    /** Assembles the machine, writes or dumps its device tree, and runs it. */
    private static int assembleAndRun(Injector injector, MachineConfig config, @Nullable QmpServer qmp, PrintStream out,
            PrintStream err) throws UsageException, DeviceException, IOException, InterruptedException, FdtException {
        AssembledMachine machine = injector.getInstance(VirtMachine.class).assemble();
        BootTrace.mark("assembled");
        err.print(machine.report());
        byte[] dtb = new FdtWriter().write(machine.deviceTree());
        BootTrace.mark("dtb");
        Path dump = config.dumpDtb();
        if (dump != null) {
            Files.write(dump, dtb);
            err.println("virt: device tree (" + dtb.length + " bytes) dumped to " + dump);
            return 0;
        }
        if (qmp != null) {
            qmp.pciBus(injector.getInstance(PciRootBus.class));
            qmp.hotplug(injector.getInstance(PciHotplug.class));
            // wait=on: the vCPUs start once a client is there; the runner sets everything else up meanwhile
            injector.getInstance(RunControl.class).startGate(qmp::awaitFirstClients);
        }
        return injector.getInstance(MachineRunner.class).run(machine, dtb, out, err);
    }

    /** What {@code -version} prints: this build's version and the QEMU release whose options and QMP it follows. */
    static String version() {
        String build = Main.class.getPackage().getImplementationVersion();
        return "vfio4j machine-virt " + (build != null ? build : "(development build)")
                + ", options and QMP as QEMU 10.0's";
    }

    /**
     * The guest's KVM set-up, started now on its own thread when this invocation will run a guest (no help, no
     * {@code dumpdtb}, the boot files there), so it overlaps with Guice and the assembly; otherwise one that does
     * nothing unless a runner asks (none will). A missing file is left to {@link MachineConfig#requireBootFiles}
     * below, so errors are reported in the same order as before; KVM is not touched for it.
     */
    private static Preboot preboot(CommandLine cl) {
        MachineConfig config = cl.config();
        if (cl.deviceHelp() == null && config.dumpDtb() == null) {
            try {
                config.requireBootFiles();
                return Preboot.start(config);
            } catch (UsageException e) {
                // reported in its turn, after the plugins and Guice, as before
            }
        }
        return Preboot.onDemand(config);
    }

    /** Whether {@code args} may ask for help only ({@code -h}, {@code -device help}): no warm-up for those. */
    private static boolean mentionsHelp(String[] args) {
        for (String a : args) {
            if (a.contains("help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Guice wraps what went wrong while assembling (a plugin registering a name twice, a part
     * failing to build); print each message once, without Guice's stack traces.
     */
    private static int guiceFailure(java.util.Collection<Message> messages, RuntimeException e, PrintStream err) {
        for (Message m : messages) {
            Throwable cause = m.getCause();
            if (cause instanceof FdtException || cause instanceof UncheckedIOException) {
                err.println("vfio4j virt: " + cause.getMessage());
                return 1;
            }
            String text = m.getMessage();
            int nl = text.indexOf('\n');
            String hint = text.startsWith("Duplicate key")
                    ? " (two modules or plugin jars register a device type under the same name; remove one of the jars)" : "";
            err.println("vfio4j virt: cannot assemble the machine: " + (nl < 0 ? text : text.substring(0, nl)) + hint
                    + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : ""));
        }
        if (messages.isEmpty()) {
            err.println("vfio4j virt: cannot assemble the machine: " + e.getMessage());
        }
        return 2;
    }
}
