package org.vfio4j.virt.device;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code -device} option as written: the type and its {@code prop=value} pairs in order, with
 * QEMU's escaping ({@code ,,} is a literal comma) and its {@code driver=TYPE} spelling.
 *
 * <p>Why a separate parse step: the text is split once, here; which names are valid is the
 * registry's job, and it reports {@link #malformed} parts (an empty name, as in {@code ,=x}) together
 * with the names the type accepts.
 *
 * @param malformed parts that are not {@code name[=value]}, in order
 * @param help      whether the option was {@code help} or {@code TYPE,help}
 */
public record DeviceSpec(String text, String type, Map<String, String> properties, java.util.List<String> malformed,
        boolean help) {

    public DeviceSpec {
        properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        malformed = java.util.List.copyOf(malformed);
    }

    /** Parses the argument of {@code -device}. */
    public static DeviceSpec parse(String text) throws DeviceException {
        java.util.List<String> parts = split(text);
        String type = parts.isEmpty() ? "" : parts.getFirst();
        Map<String, String> props = new LinkedHashMap<>();
        java.util.List<String> malformed = new java.util.ArrayList<>();
        boolean help = false;
        int first = 1;
        if (type.startsWith("driver=")) {
            type = type.substring("driver=".length());
        }
        if (type.isEmpty()) {
            throw new DeviceException("-device '" + text + "': no device type; write -device TYPE[,prop=value...] (-device help lists types)");
        }
        if (type.equals("help") || type.equals("?")) {
            return new DeviceSpec(text, "", props, malformed, true);
        }
        for (String p : parts.subList(first, parts.size())) {
            if (p.equals("help") || p.equals("?")) {
                help = true;
                continue;
            }
            int eq = p.indexOf('=');
            String name = eq < 0 ? p : p.substring(0, eq);
            if (name.isEmpty()) {
                malformed.add(p);
                continue;
            }
            if (props.containsKey(name)) {
                throw new DeviceException("-device " + type + ": property '" + name + "' given twice");
            }
            // A bare name is kept with a null-free marker: the registry accepts it for on/off properties only.
            props.put(name, eq < 0 ? BARE : p.substring(eq + 1));
        }
        return new DeviceSpec(text, type, props, malformed, help);
    }

    /** Value recorded for a property written without {@code =} (QEMU reads it as {@code =on}). */
    public static final String BARE = "\0bare";

    private static java.util.List<String> split(String text) {
        java.util.List<String> out = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',') {
                if (i + 1 < text.length() && text.charAt(i + 1) == ',') {
                    cur.append(',');
                    i++;
                    continue;
                }
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
