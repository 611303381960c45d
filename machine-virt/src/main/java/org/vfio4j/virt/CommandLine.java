package org.vfio4j.virt;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.board.Gicv3;
import org.vfio4j.virt.board.MemoryMap;
import org.vfio4j.virt.board.Sizes;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.DeviceSpec;

/**
 * Parses {@code virt}'s options, spelled as QEMU spells them:
 * {@code -m SIZE -smp N -kernel Image [-initrd FILE] [-append ARGS] [-device TYPE,prop=val,...]...
 * [-machine [virt,]dumpdtb=FILE] [-plugins DIR]...}.
 *
 * <p>Why syntax only: values that need the registry (device types and their properties) or the file
 * system (kernel, plugin jars) are checked later by their owners, with the same exit status 2.
 *
 * @param usage      {@code -h}/{@code -help}/{@code --help}
 * @param deviceHelp the {@code -device help} or {@code -device TYPE,help} option, if any
 */
public record CommandLine(MachineConfig config, boolean usage, @Nullable DeviceSpec deviceHelp) {

    /** Usage text. */
    public static final String USAGE = """
            usage: vfio4j virt -m SIZE -smp N -kernel Image [-initrd FILE] [-append ARGS]
                               [-device TYPE,prop=value,...]... [-machine [virt,]dumpdtb=FILE] [-plugins DIR]...
              -m SIZE            guest RAM at 0x40000000 (512M, 2G; a bare number is MiB; default 128M)
              -smp N             vCPUs (1-%d; default 1)
              -kernel Image      arm64 kernel Image
              -initrd FILE       initial ramdisk
              -append ARGS       kernel command line
              -device TYPE,...   add a device (-device help lists types, -device TYPE,help their properties)
              -machine dumpdtb=FILE  write the device tree blob to FILE and exit
              -plugins DIR       load device-type plugin jars from DIR (repeatable)
            """.formatted(Gicv3.maxCpus());

    private static final List<String> OPTIONS = List.of("-m", "-smp", "-kernel", "-initrd", "-append", "-device",
            "-machine", "-M", "-plugins");

    /** Parses {@code args}. */
    public static CommandLine parse(String[] args) throws UsageException {
        long ram = 128 * Sizes.MiB;
        int cpus = 1;
        Path kernel = null, initrd = null, dump = null;
        String append = "";
        List<DeviceSpec> devices = new ArrayList<>();
        List<Path> plugins = new ArrayList<>();
        DeviceSpec help = null;
        for (int i = 0; i < args.length; i++) {
            String opt = args[i];
            if (opt.equals("-h") || opt.equals("-help") || opt.equals("--help")) {
                return new CommandLine(new MachineConfig(ram, cpus, null, null, "", List.of(), null, plugins), true, null);
            }
            if (!OPTIONS.contains(opt)) {
                throw new UsageException(opt.startsWith("-") ? "unknown option '" + opt + "'; accepted: " + String.join(" ", OPTIONS)
                        + " (-help for usage)" : "unexpected argument '" + opt + "'; options start with '-' (-help for usage)");
            }
            if (i + 1 >= args.length) {
                throw new UsageException("option " + opt + " needs an argument (-help for usage)");
            }
            String v = args[++i];
            switch (opt) {
                case "-m" -> ram = ram(v);
                case "-smp" -> cpus = smp(v);
                case "-kernel" -> kernel = Path.of(v);
                case "-initrd" -> initrd = Path.of(v);
                case "-append" -> append = v;
                case "-plugins" -> plugins.add(Path.of(v));
                case "-machine", "-M" -> {
                    Path d = machine(v);
                    dump = d != null ? d : dump;
                }
                default -> { // -device
                    DeviceSpec spec;
                    try {
                        spec = DeviceSpec.parse(v);
                    } catch (DeviceException e) {
                        throw new UsageException(e.getMessage());
                    }
                    if (spec.help()) {
                        help = spec;
                    } else {
                        devices.add(spec);
                    }
                }
            }
        }
        return new CommandLine(new MachineConfig(ram, cpus, kernel, initrd, append, devices, dump, plugins), false, help);
    }

    static long ram(String v) throws UsageException {
        String text = v.startsWith("size=") ? v.substring(5) : v;
        long bytes;
        try {
            bytes = Sizes.parse(text, Sizes.MiB);
        } catch (IllegalArgumentException e) {
            throw new UsageException("-m " + v + ": bad size: " + e.getMessage());
        }
        if (bytes < 16 * Sizes.MiB) {
            throw new UsageException("-m " + v + ": bad size: at least 16M of RAM is needed");
        }
        if (bytes > MemoryMap.MAX_RAM) {
            throw new UsageException("-m " + v + ": bad size: at most " + Sizes.human(MemoryMap.MAX_RAM)
                    + " fits below the high PCIe region at 256G");
        }
        if (bytes % (64 * Sizes.KiB) != 0) {
            throw new UsageException("-m " + v + ": bad size: RAM must be a multiple of 64K (the largest arm64 page size)");
        }
        return bytes;
    }

    static int smp(String v) throws UsageException {
        String text = v.startsWith("cpus=") ? v.substring(5) : v;
        int n;
        try {
            n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new UsageException("-smp " + v + ": expected a CPU count, e.g. -smp 2 (sockets/cores/threads are not supported)");
        }
        if (n < 1 || n > Gicv3.maxCpus()) {
            throw new UsageException("-smp " + v + ": between 1 and " + Gicv3.maxCpus()
                    + " CPUs (one GICv3 redistributor region)");
        }
        return n;
    }

    /** {@code -machine [virt,]key=value,...}; returns the dumpdtb path if given. */
    static @Nullable Path machine(String v) throws UsageException {
        Path dump = null;
        String[] parts = v.split(",");
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == 0 && !p.contains("=")) {
                if (!p.equals("virt")) {
                    throw new UsageException("-machine " + v + ": unknown machine type '" + p + "'; only 'virt' is available");
                }
                continue;
            }
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq);
            String val = eq < 0 ? "" : p.substring(eq + 1);
            switch (key) {
                case "dumpdtb" -> {
                    if (val.isEmpty()) {
                        throw new UsageException("-machine " + v + ": dumpdtb needs a file name (dumpdtb=FILE)");
                    }
                    dump = Path.of(val);
                }
                case "gic-version" -> {
                    if (!val.equals("3")) {
                        throw new UsageException("-machine " + v + ": gic-version=" + val + " is not supported; this machine has a GICv3 (gic-version=3)");
                    }
                }
                default -> throw new UsageException("-machine " + v + ": unknown machine property '" + key
                        + "'; accepted: dumpdtb=FILE, gic-version=3");
            }
        }
        return dump;
    }
}
