package org.vfio4j.virt.device;

import java.util.Locale;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.board.Sizes;

/**
 * One property a device type accepts: its name, value kind, help text, and default (null = no
 * default; {@link #required()} properties must be given).
 *
 * <p>Why declared as data: the registry checks every {@code -device} option against the declaration
 * before the type sees it (unknown name, malformed value, missing required value all get the same
 * clear message with the accepted names), and {@code -device TYPE,help} prints it as QEMU does.
 */
public record PropertySpec(String name, Kind kind, String help, @Nullable String defaultValue, boolean required) {

    /** Value kinds and how QEMU spells them in help ({@code <str>}, {@code <bool>}, …). */
    public enum Kind {
        /** Any text. */
        STRING("str"),
        /** on/off (also true/false, yes/no). */
        BOOL("bool"),
        /** An unsigned number, decimal or 0x-hex. */
        UINT("uint64"),
        /** A size with optional B/K/M/G/T suffix (bytes without one). */
        SIZE("size");

        private final String helpName;

        Kind(String helpName) {
            this.helpName = helpName;
        }

        /** The name shown in help, e.g. {@code str}. */
        public String helpName() {
            return helpName;
        }
    }

    /** An optional string property. */
    public static PropertySpec string(String name, String help, @Nullable String defaultValue) {
        return new PropertySpec(name, Kind.STRING, help, defaultValue, false);
    }

    /** A required string property. */
    public static PropertySpec requiredString(String name, String help) {
        return new PropertySpec(name, Kind.STRING, help, null, true);
    }

    /** An on/off property. */
    public static PropertySpec bool(String name, String help, boolean defaultValue) {
        return new PropertySpec(name, Kind.BOOL, help, defaultValue ? "on" : "off", false);
    }

    /** An unsigned number property. */
    public static PropertySpec uint(String name, String help, long defaultValue) {
        return new PropertySpec(name, Kind.UINT, help, Long.toString(defaultValue), false);
    }

    /** A size property. */
    public static PropertySpec size(String name, String help, long defaultValue) {
        return new PropertySpec(name, Kind.SIZE, help, Sizes.human(defaultValue), false);
    }

    /**
     * Parses {@code text} as this property's kind.
     *
     * @return a {@code String}, {@code Boolean} or {@code Long}
     * @throws IllegalArgumentException saying what the value should look like
     */
    public Object parse(String text) {
        return switch (kind) {
            case STRING -> text;
            case BOOL -> switch (text.toLowerCase(Locale.ROOT)) {
                case "on", "true", "yes" -> Boolean.TRUE;
                case "off", "false", "no" -> Boolean.FALSE;
                default -> throw new IllegalArgumentException("'" + text + "' is not on/off");
            };
            case UINT -> {
                try {
                    long v = text.startsWith("0x") || text.startsWith("0X")
                            ? Long.parseUnsignedLong(text.substring(2), 16) : Long.parseLong(text);
                    if (v < 0) {
                        throw new NumberFormatException();
                    }
                    yield v;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + text + "' is not an unsigned number (decimal or 0x-hex)");
                }
            }
            case SIZE -> Sizes.parse(text, 1);
        };
    }

    /** The help line, in QEMU's layout: {@code   name=<kind>  - help (default: x)}. */
    public String helpLine() {
        String d = defaultValue;
        String tail = required ? " (required)" : d != null ? " (default: " + d + ")" : "";
        return String.format("  %-24s - %s%s", name + "=<" + kind.helpName() + ">", help, tail);
    }
}
