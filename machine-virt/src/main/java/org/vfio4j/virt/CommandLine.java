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
 * [-machine [virt,]dumpdtb=FILE,memory-backend=ID] [-object memory-backend-memfd,...] [-object iommufd,...] [-mem-path DIR]
 * [-plugins DIR]... [-qmp unix:PATH,server=on,wait=off]... [-S] [-no-reboot] [-name NAME] [-pidfile FILE]
 * [-sandbox on|off] [-version]}.
 *
 * <p>Why syntax only: values that need the registry (device types and their properties) or the file
 * system (kernel, plugin jars) are checked later by their owners, with the same exit status 2.
 *
 * @param usage      {@code -h}/{@code -help}/{@code --help}
 * @param deviceHelp the {@code -device help} or {@code -device TYPE,help} option, if any
 * @param version    {@code -version}/{@code --version}
 */
public record CommandLine(MachineConfig config, boolean usage, @Nullable DeviceSpec deviceHelp,
        ControlOptions control, boolean version) {

    /** A command line without QMP sockets or {@code -S}. */
    public CommandLine(MachineConfig config, boolean usage, @Nullable DeviceSpec deviceHelp) {
        this(config, usage, deviceHelp, ControlOptions.NONE, false);
    }

    /** Usage text. */
    public static final String USAGE = """
            usage: vfio4j virt -m SIZE -smp N -kernel Image [-initrd FILE] [-append ARGS]
                               [-device TYPE,prop=value,...]... [-machine [virt,]dumpdtb=FILE] [-plugins DIR]...
              -m SIZE            guest RAM at 0x40000000 (512M, 2G; a bare number is MiB; default 128M)
              -smp N             vCPUs (1-%d; default 1)
              -kernel FILE       arm64 Image (plain, gzip or EFI zboot), AArch64 ELF, or raw binary
              -initrd FILE       initial ramdisk
              -append ARGS       kernel command line
              -device TYPE,...   add a device (-device help lists types, -device TYPE,help their properties)
              -machine dumpdtb=FILE  write the device tree blob to FILE and exit
              -machine memory-backend=ID  back RAM with -object ID
              -object memory-backend-memfd,id=ID,size=SIZE[,hugetlb=on[,hugetlbsize=2M]]
                                 a memfd for RAM, in hugepages with hugetlb=on
              -object iommufd,id=ID[,fd=N]  an iommufd (/dev/iommu, or the inherited fd N) for
                                 -device vfio-pci,...,iommufd=ID
              -mem-path DIR      back RAM with a file in DIR (a hugetlbfs mount for hugepages)
              -plugins DIR       load device-type plugin jars from DIR (repeatable)
              -qmp unix:PATH,server=on[,wait=off]  listen for QMP clients on PATH (repeatable)
              -chardev socket,id=ID,path=PATH,server=on[,wait=off] -mon chardev=ID,mode=control
                                 the same, spelled as a character device and a monitor
              -S                 do not start the vCPUs until QMP's cont
              -no-reboot         end the VMM when the guest resets instead of booting again
              -name NAME         the guest's name (QMP's query-name)
              -pidfile FILE      keep the VMM's process id in FILE (locked while it runs, removed at exit)
              -sandbox on|off[,x-log-denied=on]  confine the VMM once the machine is set up: no new
                                 privileges, no capabilities, a system-call allowlist (default on)
              -version           print the version and exit
              -serial stdio|file:PATH|pty|unix:PATH,server=on[,wait=off]|null
                                 the UART's backend (default stdio; -nographic is accepted, it is the default)
            On stdio the guest's console is stdin and stdout; on a terminal it is raw (Ctrl-C goes to the guest),
            Ctrl-A x ends the VMM and Ctrl-A h lists the keys.
            """.formatted(Gicv3.maxCpus());

    private static final List<String> OPTIONS = List.of("-m", "-smp", "-kernel", "-initrd", "-append", "-device",
            "-machine", "-M", "-plugins", "-object", "-mem-path", "-qmp", "-chardev", "-mon", "-S", "-no-reboot",
            "-name", "-pidfile", "-version", "-nographic", "-serial", "-sandbox");

    /** A {@code -object memory-backend-*}: what backs it and how large it is. */
    private record Backend(String option, RamBackend backend, long size) {
    }

    /** Parses {@code args}. */
    public static CommandLine parse(String[] args) throws UsageException {
        long ram = 128 * Sizes.MiB;
        boolean ramGiven = false;
        java.util.Map<String, Backend> objects = new java.util.HashMap<>();
        java.util.Map<String, IommufdObject> iommufds = new java.util.HashMap<>();
        String memoryBackend = null;
        Path memPath = null;
        int cpus = 1;
        Path kernel = null, initrd = null, dump = null;
        String append = "";
        List<DeviceSpec> devices = new ArrayList<>();
        List<Path> plugins = new ArrayList<>();
        DeviceSpec help = null;
        List<ControlOptions.QmpSocket> qmp = new ArrayList<>();
        java.util.Map<String, ControlOptions.QmpSocket> chardevs = new java.util.LinkedHashMap<>();
        List<String> monitors = new ArrayList<>();
        boolean startPaused = false;
        boolean noReboot = false;
        ControlOptions.Sandboxing sandbox = ControlOptions.Sandboxing.DEFAULT;
        ControlOptions.Serial serial = ControlOptions.Serial.STDIO;
        boolean serialGiven = false;
        String name = null;
        Path pidFile = null;
        for (int i = 0; i < args.length; i++) {
            String opt = args[i];
            if (opt.equals("-S")) {
                startPaused = true;
                continue;
            }
            if (opt.equals("-no-reboot")) {
                noReboot = true;
                continue;
            }
            if (opt.equals("-nographic")) {
                continue; // the machine has no display: the console is on stdio already, as -nographic puts it
            }
            if (opt.equals("-version") || opt.equals("--version")) {
                return new CommandLine(noGuest(ram, cpus, plugins), false, null, ControlOptions.NONE, true);
            }
            if (opt.equals("-h") || opt.equals("-help") || opt.equals("--help")) {
                return new CommandLine(noGuest(ram, cpus, plugins), true, null);
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
                case "-m" -> {
                    ram = ram(v);
                    ramGiven = true;
                }
                case "-object" -> {
                    if (objects.containsKey(idOf(v)) || iommufds.containsKey(idOf(v))) {
                        throw new UsageException("-object " + v + ": id=" + idOf(v) + " is given twice");
                    }
                    if (v.equals("iommufd") || v.startsWith("iommufd,")) {
                        IommufdObject o = iommufd(v);
                        iommufds.put(o.id(), o);
                    } else {
                        objects.put(idOf(v), object(v));
                    }
                }
                case "-mem-path" -> memPath = Path.of(v);
                case "-qmp" -> qmp.add(QmpSyntax.qmp(v));
                case "-chardev" -> {
                    String id = QmpSyntax.chardevId(v);
                    if (chardevs.putIfAbsent(id, QmpSyntax.chardev(v)) != null) {
                        throw new UsageException("-chardev " + v + ": id=" + id + " is given twice");
                    }
                }
                case "-mon" -> monitors.add(v);
                case "-name" -> name = name(v);
                case "-serial" -> {
                    if (serialGiven) {
                        throw new UsageException("-serial " + v + ": this machine has one UART, and -serial is already "
                                + "given; give one -serial");
                    }
                    serialGiven = true;
                    serial = serial(v);
                }
                case "-sandbox" -> sandbox = sandbox(v);
                case "-pidfile" -> pidFile = Path.of(v);
                case "-smp" -> cpus = smp(v);
                case "-kernel" -> kernel = Path.of(v);
                case "-initrd" -> initrd = Path.of(v);
                case "-append" -> append = v;
                case "-plugins" -> plugins.add(Path.of(v));
                case "-machine", "-M" -> {
                    String[] kv = machine(v);
                    dump = kv[0] != null ? Path.of(kv[0]) : dump;
                    memoryBackend = kv[1] != null ? kv[1] : memoryBackend;
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
        for (String m : monitors) {
            qmp.add(QmpSyntax.monitor(m, chardevs));
        }
        RamBackend backend = RamBackend.ANONYMOUS;
        if (memoryBackend != null) {
            Backend b = objects.get(memoryBackend);
            if (b == null) {
                throw new UsageException("-machine memory-backend=" + memoryBackend + ": no -object has id=" + memoryBackend
                        + (objects.isEmpty() ? "" : "; the objects are " + new java.util.TreeSet<>(objects.keySet())));
            }
            if (memPath != null) {
                throw new UsageException("-mem-path and -machine memory-backend= both say what backs RAM; give one");
            }
            if (ramGiven && b.size() != ram) {
                throw new UsageException("-m " + Sizes.human(ram) + " and " + b.option() + " disagree on the size of "
                        + "RAM; drop -m or give both the same size");
            }
            ram = b.size();
            backend = b.backend();
        } else if (memPath != null) {
            backend = RamBackend.file(memPath);
        }
        if (backend.hugePageSize() > 0 && ram % backend.hugePageSize() != 0) {
            throw new UsageException("RAM of " + Sizes.human(ram) + " is not a whole number of "
                    + Sizes.human(backend.hugePageSize()) + " hugepages; give a multiple of the page size");
        }
        return new CommandLine(new MachineConfig(ram, cpus, kernel, initrd, append, devices, dump, plugins, backend,
                iommufds), false,
                help, new ControlOptions(qmp, startPaused, name, pidFile, noReboot, sandbox, serial), false);
    }

    private static String idOf(String v) {
        for (String p : v.split(",")) {
            if (p.startsWith("id=")) {
                return p.substring(3);
            }
        }
        return "";
    }

    /**
     * {@code -serial}: the one UART's backend, spelled as QEMU spells it: {@code stdio}, {@code mon:stdio},
     * {@code file:PATH}, {@code pty}, {@code unix:PATH,server=on[,wait=on|off]}, {@code null}.
     */
    static ControlOptions.Serial serial(String v) throws UsageException {
        String what = "-serial " + v + ": ";
        String forms = "give stdio, file:PATH, pty, unix:PATH,server=on[,wait=off] or null";
        if (v.equals("stdio") || v.equals("mon:stdio")) {
            return ControlOptions.Serial.STDIO;
        }
        if (v.equals("pty")) {
            return new ControlOptions.Serial(ControlOptions.Serial.Kind.PTY, null, false);
        }
        if (v.equals("null")) {
            return new ControlOptions.Serial(ControlOptions.Serial.Kind.NULL, null, false);
        }
        if (v.startsWith("file:") && v.length() > 5) {
            return new ControlOptions.Serial(ControlOptions.Serial.Kind.FILE, Path.of(v.substring(5)), false);
        }
        if (v.startsWith("unix:")) {
            String[] parts = v.substring(5).split(",");
            if (parts[0].isEmpty()) {
                throw new UsageException(what + "no socket path; " + forms);
            }
            boolean server = false, wait = true;
            for (int i = 1; i < parts.length; i++) {
                switch (parts[i]) {
                    case "server", "server=on" -> server = true;
                    case "server=off" -> server = false;
                    case "wait", "wait=on" -> wait = true;
                    case "nowait", "wait=off" -> wait = false;
                    default -> throw new UsageException(what + "unknown option '" + parts[i] + "'; " + forms);
                }
            }
            if (!server) {
                throw new UsageException(what + "the VMM connecting to a socket is not offered; listen with server=on "
                        + "and let the client connect");
            }
            return new ControlOptions.Serial(ControlOptions.Serial.Kind.UNIX, Path.of(parts[0]), wait);
        }
        String kind = v.contains(":") ? v.substring(0, v.indexOf(':')) : v;
        throw new UsageException(what + "the backend '" + kind + "' is not offered; " + forms);
    }

    /**
     * {@code -sandbox on|off[,x-log-denied=on]}. QEMU's sub-options that deny groups of calls are accepted with
     * {@code deny}, which the allowlist does already; {@code allow} asks for what it never gives.
     */
    static ControlOptions.Sandboxing sandbox(String v) throws UsageException {
        String[] parts = v.split(",");
        boolean on = switch (parts[0]) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new UsageException("-sandbox " + v + ": on or off first (-sandbox on)");
        };
        boolean log = false;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = keyValue(parts[i]);
            switch (kv[0]) {
                case "x-log-denied" -> log = switch (kv[1]) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new UsageException("-sandbox " + v + ": x-log-denied=on or off");
                };
                case "obsolete", "elevateprivileges", "spawn", "resourcecontrol" -> {
                    if (!kv[1].equals("deny")) {
                        throw new UsageException("-sandbox " + v + ": " + kv[0] + "=" + kv[1] + " is not offered: the "
                                + "sandbox is an allowlist that never lets a VMM start programs, change its user or "
                                + "use obsolete calls; leave it out, or use -sandbox off");
                    }
                }
                default -> throw new UsageException("-sandbox " + v + ": unknown option '" + kv[0] + "'; accepted: "
                        + "x-log-denied, and QEMU's obsolete, elevateprivileges, spawn and resourcecontrol with deny");
            }
        }
        if (!on && parts.length > 1) {
            throw new UsageException("-sandbox " + v + ": options after off mean nothing; -sandbox off alone");
        }
        return !on ? ControlOptions.Sandboxing.OFF
                : log ? ControlOptions.Sandboxing.LOG : ControlOptions.Sandboxing.ON;
    }

    /** {@code key=value} as {key, value}; a bare {@code key} has the value "". */
    private static String[] keyValue(String p) {
        int eq = p.indexOf('=');
        return eq < 0 ? new String[] {p, ""} : new String[] {p.substring(0, eq), p.substring(eq + 1)};
    }

    /** {@code -object iommufd,id=ID[,fd=N]}. */
    static IommufdObject iommufd(String v) throws UsageException {
        String id = null;
        int fd = -1;
        String[] parts = v.split(",");
        for (int i = 1; i < parts.length; i++) {
            String[] kv = keyValue(parts[i]);
            String key = kv[0], val = kv[1];
            switch (key) {
                case "id" -> id = val;
                case "fd" -> {
                    try {
                        fd = Integer.parseInt(val);
                    } catch (NumberFormatException e) {
                        fd = -1;
                    }
                    if (fd < 0) {
                        throw new UsageException("-object " + v + ": fd=" + val + ": the number of an open file "
                                + "descriptor of /dev/iommu this process inherited (sh: exec 3<>/dev/iommu)");
                    }
                }
                default -> throw new UsageException("-object " + v + ": unknown iommufd property '" + key
                        + "'; accepted: id, fd");
            }
        }
        if (id == null || id.isEmpty()) {
            throw new UsageException("-object " + v + ": give it an id (id=iommufd0) for -device vfio-pci,...,iommufd=iommufd0");
        }
        return new IommufdObject(id, fd);
    }

    /** {@code -object memory-backend-memfd|memory-backend-ram,id=ID,size=SIZE[,hugetlb=on][,hugetlbsize=SIZE]}. */
    static Backend object(String v) throws UsageException {
        String[] parts = v.split(",");
        String type = parts[0];
        if (!type.equals("memory-backend-memfd") && !type.equals("memory-backend-ram")) {
            throw new UsageException("-object " + v + ": unknown object type '" + type + "'; accepted: "
                    + "memory-backend-memfd, memory-backend-ram, iommufd");
        }
        String id = null;
        long size = -1, pageSize = 0;
        boolean hugetlb = false;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = keyValue(parts[i]);
            String key = kv[0], val = kv[1];
            switch (key) {
                case "id" -> id = val;
                case "size" -> size = ram(val);
                case "hugetlb" -> hugetlb = switch (val) {
                    case "on", "true", "yes" -> true;
                    case "off", "false", "no" -> false;
                    default -> throw new UsageException("-object " + v + ": hugetlb=" + val + ": on or off");
                };
                case "hugetlbsize" -> {
                    try {
                        pageSize = Sizes.parse(val, 1);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("-object " + v + ": hugetlbsize=" + val + ": " + e.getMessage());
                    }
                    if (pageSize != (2L << 20) && pageSize != (1L << 30) && pageSize != (32L << 20) && pageSize != (64L << 10)) {
                        throw new UsageException("-object " + v + ": hugetlbsize=" + val + ": arm64 hugepages are 64K, 2M, "
                                + "32M or 1G");
                    }
                }
                case "share" -> {
                    if (!val.equals("on") && !(type.equals("memory-backend-ram") && val.equals("off"))) {
                        throw new UsageException("-object " + v + ": share=" + val + " is not supported here");
                    }
                }
                default -> throw new UsageException("-object " + v + ": unknown property '" + key + "'; accepted: id, "
                        + "size, hugetlb, hugetlbsize" + (type.equals("memory-backend-ram") ? "" : ", share"));
            }
        }
        if (id == null || id.isEmpty()) {
            throw new UsageException("-object " + v + ": give it an id (id=m0) for -machine memory-backend=m0");
        }
        if (size < 0) {
            throw new UsageException("-object " + v + ": give its size (size=512M)");
        }
        if (type.equals("memory-backend-ram")) {
            if (hugetlb || pageSize > 0) {
                throw new UsageException("-object " + v + ": hugetlb is a memory-backend-memfd property");
            }
            return new Backend("-object " + v, RamBackend.ANONYMOUS, size);
        }
        if (pageSize > 0 && !hugetlb) {
            throw new UsageException("-object " + v + ": hugetlbsize needs hugetlb=on");
        }
        return new Backend("-object " + v, RamBackend.memfd(hugetlb ? (pageSize > 0 ? pageSize : 2L << 20) : 0), size);
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

    /** {@code -machine [virt,]key=value,...}; returns {dumpdtb, memory-backend}, each null when not given. */
    static @Nullable String[] machine(String v) throws UsageException {
        String dump = null;
        String backend = null;
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
                    dump = val;
                }
                case "memory-backend" -> {
                    if (val.isEmpty()) {
                        throw new UsageException("-machine " + v + ": memory-backend needs an object id (memory-backend=m0)");
                    }
                    backend = val;
                }
                case "gic-version" -> {
                    if (!val.equals("3")) {
                        throw new UsageException("-machine " + v + ": gic-version=" + val + " is not supported; this machine has a GICv3 (gic-version=3)");
                    }
                }
                default -> throw new UsageException("-machine " + v + ": unknown machine property '" + key
                        + "'; accepted: dumpdtb=FILE, gic-version=3, memory-backend=ID");
            }
        }
        return new @Nullable String[] {dump, backend};
    }

    /** The configuration of an invocation that stops at {@code -help} or {@code -version}: no guest files. */
    private static MachineConfig noGuest(long ram, int cpus, List<Path> plugins) {
        return new MachineConfig(ram, cpus, null, null, "", List.of(), null, plugins);
    }

    /** QEMU's {@code -name [guest=]NAME}; its thread and process options are refused, not ignored. */
    private static String name(String v) throws UsageException {
        String n = v.startsWith("guest=") ? v.substring("guest=".length()) : v;
        if (n.contains(",") && !n.contains(",,")) {
            throw new UsageException("-name " + v + ": only the guest's name is supported (-name NAME or "
                    + "-name guest=NAME); process= and debug-threads= are not");
        }
        n = n.replace(",,", ",");
        if (n.isEmpty() || n.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new UsageException("-name '" + v + "': give a name of printable characters");
        }
        return n;
    }
}
