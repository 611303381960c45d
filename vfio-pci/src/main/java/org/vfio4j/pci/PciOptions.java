package org.vfio4j.pci;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The properties of one assigned PCI device, parsed from QEMU's {@code -device} syntax.
 *
 * <p>Why QEMU's syntax: people who assign devices already know it. Accepted:
 * {@code vfio-pci,host=[DDDD:]BB:DD.F[,id=NAME][,rombar=0|1][,x-no-mmap[=on|off]][,x-intx=on|off]
 * [,x-intx-mmap-timeout-ms=N][,iommufd=ID[,fd=N]]}. Every mistake is a {@link PciOptionException} naming the
 * property and what is accepted.
 * {@snippet :
 * PciOptions o = PciOptions.parse("vfio-pci,host=0000:00:04.0,x-no-mmap");
 * }
 *
 * @param host the host device address, normalised to {@code DDDD:BB:DD.F}
 * @param id the user's name for the device, if given
 * @param romBar whether the expansion ROM is shown ({@code rombar=1}, the default)
 * @param noMmap whether every BAR access traps ({@code x-no-mmap}), for debugging and tests
 * @param intx whether INTx is offered ({@code x-intx=off} sets interrupt pin 0)
 * @param intxMmapTimeout how long after an INTx the BARs stay trapped when the machine cannot resample
 * @param iommufd the id of the iommufd object the device joins through its cdev; null for the VFIO container
 * @param fd the device's cdev fd, opened by whoever started the VMM and handed in; -1 to open the cdev
 */
public record PciOptions(String host, @Nullable String id, boolean romBar, boolean noMmap, boolean intx,
        Duration intxMmapTimeout, @Nullable String iommufd, int fd) {

    /** The device type this parser accepts. */
    public static final String DRIVER = "vfio-pci";
    /** Every property accepted, for messages. */
    public static final List<String> PROPERTIES = List.of("host", "id", "rombar", "x-no-mmap", "x-intx",
            "x-intx-mmap-timeout-ms", "iommufd", "fd");
    /** QEMU's default for {@code x-intx-mmap-timeout-ms}. */
    public static final Duration DEFAULT_INTX_MMAP_TIMEOUT = Duration.ofMillis(1100);

    private static final Pattern BDF = Pattern.compile("(?:([0-9a-fA-F]{4,8}):)?([0-9a-fA-F]{2}):([01][0-9a-fA-F])\\.([0-7])");

    /** Options for a host device with every default. */
    public static PciOptions of(String host) {
        return parse(DRIVER + ",host=" + host);
    }

    /** Parses {@code vfio-pci,host=...,...} (the leading {@code vfio-pci,} may be omitted). */
    public static PciOptions parse(String spec) {
        String[] parts = spec.trim().split(",", -1);
        int first = parts[0].equals(DRIVER) ? 1 : 0;
        if (first == 0 && !parts[0].contains("=") && !PROPERTIES.contains(parts[0])) {
            throw new PciOptionException("'" + parts[0] + "' is not a vfio-pci device; write " + DRIVER
                    + ",host=DDDD:BB:DD.F[,...]");
        }
        @Nullable String host = null;
        @Nullable String id = null;
        boolean romBar = true;
        boolean noMmap = false;
        boolean intx = true;
        Duration timeout = DEFAULT_INTX_MMAP_TIMEOUT;
        @Nullable String iommufd = null;
        int fd = -1;
        Set<String> seen = new HashSet<>();
        for (int i = first; i < parts.length; i++) {
            String part = parts[i];
            if (part.isEmpty()) {
                throw new PciOptionException("empty property in '" + spec + "' (two commas in a row, or a trailing comma)");
            }
            int eq = part.indexOf('=');
            String name = eq < 0 ? part : part.substring(0, eq);
            @Nullable String value = eq < 0 ? null : part.substring(eq + 1);
            if (!PROPERTIES.contains(name)) {
                throw new PciOptionException("unknown vfio-pci property '" + name + "'; accepted: "
                        + String.join(", ", PROPERTIES));
            }
            if (!seen.add(name)) {
                throw new PciOptionException("vfio-pci property '" + name + "' given twice; give it once");
            }
            switch (name) {
                case "host" -> host = bdf(required(name, value));
                case "id" -> id = required(name, value);
                case "rombar" -> romBar = switch (required(name, value)) {
                    case "0" -> false;
                    case "1" -> true;
                    default -> throw bad(name, value, "0 (hide the ROM) or 1 (show it)");
                };
                case "x-no-mmap" -> noMmap = value == null || flag(name, value);
                case "x-intx" -> intx = flag(name, required(name, value));
                case "x-intx-mmap-timeout-ms" -> timeout = Duration.ofMillis(millis(name, required(name, value)));
                case "iommufd" -> iommufd = required(name, value);
                case "fd" -> fd = fd(required(name, value));
                default -> throw new IllegalStateException("property table and switch disagree on " + name);
            }
        }
        if (host == null) {
            throw new PciOptionException("vfio-pci needs host=DDDD:BB:DD.F (the device's PCI address, as in lspci -D)");
        }
        if (fd >= 0 && iommufd == null) {
            throw new PciOptionException("vfio-pci fd=" + fd + " is a device cdev fd, which joins an iommufd: add "
                    + "iommufd=ID and -object iommufd,id=ID");
        }
        return new PciOptions(host, id, romBar, noMmap, intx, timeout, iommufd, fd);
    }

    /** The file descriptor number {@code value} names, as {@code fd=} takes it. */
    public static int fd(String value) {
        try {
            int v = Integer.parseInt(value);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad("fd", value, "the number of an open file descriptor of the device's cdev (/dev/vfio/devices/vfioN)");
    }

    private static String required(String name, @Nullable String value) {
        if (value == null || value.isEmpty()) {
            throw new PciOptionException("vfio-pci property '" + name + "' needs a value (" + name + "=...)");
        }
        return value;
    }

    private static String bdf(String value) {
        var m = BDF.matcher(value);
        if (!m.matches()) {
            throw bad("host", value, "a PCI address DDDD:BB:DD.F or BB:DD.F, e.g. 0000:00:04.0 (a VMD host's "
                    + "domains have five digits, e.g. 10000:e1:00.0)");
        }
        // as sysfs names it: at least four hex digits, more when the domain needs them (VMD's start at 10000)
        String domain = m.group(1) == null ? "0000" : String.format("%04x", Long.parseLong(m.group(1), 16));
        return (domain + ":" + m.group(2) + ":" + m.group(3) + "." + m.group(4)).toLowerCase(Locale.ROOT);
    }

    private static boolean flag(String name, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw bad(name, value, "on or off");
        };
    }

    private static long millis(String name, String value) {
        try {
            long v = Long.parseLong(value);
            if (v >= 0 && v <= 60_000) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(name, value, "a whole number of milliseconds from 0 to 60000");
    }

    private static PciOptionException bad(String name, @Nullable String value, String accepted) {
        return new PciOptionException("vfio-pci property " + name + "=" + value + " is not valid; use " + accepted);
    }
}
