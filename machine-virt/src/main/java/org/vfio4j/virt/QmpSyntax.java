package org.vfio4j.virt;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The QEMU spellings of a QMP socket: {@code -qmp unix:PATH,server=on,wait=off},
 * {@code -chardev socket,id=ID,path=PATH,server=on,wait=off} and {@code -mon chardev=ID,mode=control}.
 *
 * <p>Why only listening UNIX sockets: that is what libvirt, Kata and the QMP tooling use with a local VMM; a TCP
 * monitor would be reachable by every local user, and a socket that connects out is a different deployment. Each
 * refused form says which one is accepted. {@code wait} defaults to on, as in QEMU.
 */
final class QmpSyntax {
    private QmpSyntax() {
    }

    /** {@code -qmp unix:PATH[,server=on][,wait=off]} (also the older {@code server} and {@code nowait} flags). */
    static ControlOptions.QmpSocket qmp(String v) throws UsageException {
        if (!v.startsWith("unix:")) {
            throw new UsageException("-qmp " + v + ": only UNIX sockets are supported: -qmp unix:PATH,server=on,wait=off");
        }
        String[] parts = v.substring(5).split(",");
        Map<String, String> props = props("-qmp " + v, parts, 1);
        return socket("-qmp " + v, parts[0], props);
    }

    /** The {@code id} of a {@code -chardev} option, checked for the forms {@link #chardev} takes. */
    static String chardevId(String v) throws UsageException {
        String id = props("-chardev " + v, v.split(","), 1).get("id");
        if (id == null || id.isEmpty()) {
            throw new UsageException("-chardev " + v + ": give it an id (id=qmp0) for -mon chardev=qmp0,mode=control");
        }
        return id;
    }

    /** {@code -chardev socket,id=ID,path=PATH[,server=on][,wait=off]}. */
    static ControlOptions.QmpSocket chardev(String v) throws UsageException {
        String[] parts = v.split(",");
        if (!parts[0].equals("socket")) {
            throw new UsageException("-chardev " + v + ": only the socket backend is supported: "
                    + "-chardev socket,id=ID,path=PATH,server=on,wait=off");
        }
        Map<String, String> props = props("-chardev " + v, parts, 1);
        String path = props.remove("path");
        props.remove("id");
        if (path == null || path.isEmpty()) {
            throw new UsageException("-chardev " + v + ": give the socket's path (path=/run/vm.qmp); host/port "
                    + "(TCP) sockets are not supported");
        }
        return socket("-chardev " + v, path, props);
    }

    /** {@code -mon chardev=ID,mode=control[,pretty=on|off]}: the socket of that chardev. */
    static ControlOptions.QmpSocket monitor(String v, Map<String, ControlOptions.QmpSocket> chardevs)
            throws UsageException {
        Map<String, String> props = props("-mon " + v, v.split(","), 0);
        String id = props.remove("chardev");
        String mode = props.remove("mode");
        props.remove("pretty");
        if (id == null) {
            throw new UsageException("-mon " + v + ": name its character device (chardev=ID)");
        }
        if (!"control".equals(mode)) {
            throw new UsageException("-mon " + v + ": only QMP is available (mode=control); the human monitor "
                    + "(mode=readline) is not");
        }
        if (!props.isEmpty()) {
            throw new UsageException("-mon " + v + ": unknown property '" + props.keySet().iterator().next()
                    + "'; accepted: chardev, mode, pretty");
        }
        ControlOptions.QmpSocket s = chardevs.get(id);
        if (s == null) {
            throw new UsageException("-mon " + v + ": no -chardev has id=" + id
                    + (chardevs.isEmpty() ? "" : "; the character devices are " + chardevs.keySet()));
        }
        return s;
    }

    private static ControlOptions.QmpSocket socket(String option, String path, Map<String, String> props)
            throws UsageException {
        boolean server = flag(option, props, "server", false);
        boolean wait = flag(option, props, "wait", true);
        if (!props.isEmpty()) {
            throw new UsageException(option + ": unknown property '" + props.keySet().iterator().next()
                    + "'; accepted: server, wait");
        }
        if (!server) {
            throw new UsageException(option + ": give server=on: the VMM listens on the socket for QMP clients "
                    + "(it does not connect out)");
        }
        if (path.isEmpty()) {
            throw new UsageException(option + ": give the socket's path, e.g. unix:/run/vm.qmp,server=on,wait=off");
        }
        return new ControlOptions.QmpSocket(Path.of(path), wait);
    }

    private static boolean flag(String option, Map<String, String> props, String key, boolean absent)
            throws UsageException {
        String no = "no" + key;
        if (props.containsKey(no)) {
            props.remove(no);
            return false;
        }
        String v = props.remove(key);
        if (v == null) {
            return absent;
        }
        return switch (v) {
            case "", "on", "yes", "true" -> true;
            case "off", "no", "false" -> false;
            default -> throw new UsageException(option + ": " + key + "=" + v + ": on or off");
        };
    }

    private static Map<String, String> props(String option, String[] parts, int from) throws UsageException {
        Map<String, String> props = new LinkedHashMap<>();
        for (int i = from; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq);
            if (props.put(key, eq < 0 ? "" : p.substring(eq + 1)) != null) {
                throw new UsageException(option + ": " + key + " is given twice");
            }
        }
        return props;
    }
}
