package org.vfio4j.virt.board;

import java.util.Locale;

/**
 * Sizes in QEMU's spelling ({@code 512M}, {@code 2G}, {@code 1.5G}, {@code 4096K}, {@code 0x1000}
 * bytes): parsing for
 * options and printing for reports.
 */
public final class Sizes {
    /** One kibibyte … tebibyte. */
    public static final long KiB = 1L << 10, MiB = 1L << 20, GiB = 1L << 30, TiB = 1L << 40;

    private Sizes() {
    }

    /**
     * Parses a size; a bare number is in {@code defaultUnit} (QEMU's {@code -m 512} means MiB).
     *
     * @throws IllegalArgumentException with a message naming the text and the accepted forms
     */
    public static long parse(String text, long defaultUnit) {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty size");
        }
        if (t.startsWith("0x") || t.startsWith("0X")) {
            try {
                long v = Long.parseUnsignedLong(t.substring(2), 16);
                if (v < 0) {
                    throw new NumberFormatException();
                }
                return v; // hex is always bytes, as in QEMU
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not a size (examples: 512M, 2G, 1.5G, 0x10000)");
            }
        }
        long unit = defaultUnit;
        char last = Character.toUpperCase(t.charAt(t.length() - 1));
        String num = t;
        if (Character.isLetter(last)) {
            unit = switch (last) {
                case 'B' -> 1;
                case 'K' -> KiB;
                case 'M' -> MiB;
                case 'G' -> GiB;
                case 'T' -> TiB;
                default -> throw new IllegalArgumentException("unknown size suffix '" + t.charAt(t.length() - 1)
                        + "' in '" + text + "' (use B, K, M, G or T)");
            };
            num = t.substring(0, t.length() - 1);
        }
        try {
            if (num.contains(".")) {
                java.math.BigDecimal v = new java.math.BigDecimal(num).multiply(java.math.BigDecimal.valueOf(unit));
                if (v.signum() < 0 || v.stripTrailingZeros().scale() > 0) {
                    throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
                }
                return v.longValueExact();
            }
            long v = Long.parseLong(num);
            if (v < 0) {
                throw new IllegalArgumentException("negative size '" + text + "'");
            }
            return Math.multiplyExact(v, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 512M, 2G, 1.5G, 65536K)");
        }
    }

    /** Largest exact binary unit: {@code 512M}, {@code 1536K}, {@code 4097B}. */
    public static String human(long bytes) {
        String[] units = {"B", "K", "M", "G", "T"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v != 0 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%d%s", v, units[u]);
    }
}
