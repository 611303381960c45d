package org.vfio4j.virt.device;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

/**
 * Device types by name (from every module's {@link DeviceTypes#register}) and the creation of devices
 * from {@code -device} options: the type is looked up, each property checked against the type's
 * {@link PropertySpec}s and parsed, defaults filled in, a unique id assigned, and only then is the
 * type asked to create the device.
 *
 * <p>Why checking here and not in each type: every type then gets the same messages — unknown type
 * (with the known ones), unknown property (with the accepted ones), malformed value (with the
 * expected form) — and {@code -device help} output for free.
 */
public final class DeviceRegistry {
    /** Accepted by every type: the device's id. */
    public static final PropertySpec ID = PropertySpec.string("id", "device id, unique in the machine (default: TYPE.N)", null);

    private final Map<String, DeviceType> types;
    private final Set<String> ids = new HashSet<>();

    @Inject
    DeviceRegistry(Map<String, DeviceType> types) {
        this.types = new TreeMap<>(types);
        for (Map.Entry<String, DeviceType> e : this.types.entrySet()) {
            if (!e.getKey().equals(e.getValue().name())) {
                throw new IllegalStateException("device type registered as '" + e.getKey() + "' calls itself '"
                        + e.getValue().name() + "' (" + e.getValue().getClass().getName() + ")");
            }
        }
    }

    /** The registered type names, sorted. */
    public Set<String> names() {
        return types.keySet();
    }

    /** The type called {@code name}, or an error listing the known ones. */
    public DeviceType type(String name) throws DeviceException {
        DeviceType t = types.get(name);
        if (t == null) {
            throw new DeviceException("-device " + name + ": unknown device type '" + name + "'; known types: "
                    + String.join(", ", names()) + " (device types from plugin jars need -plugins DIR)");
        }
        return t;
    }

    /** Checks and types the properties of {@code spec} against its type. */
    public synchronized DeviceProps props(DeviceSpec spec) throws DeviceException {
        DeviceType type = type(spec.type());
        Map<String, PropertySpec> accepted = new LinkedHashMap<>();
        accepted.put(ID.name(), ID);
        for (PropertySpec p : type.properties()) {
            accepted.put(p.name(), p);
        }
        if (!spec.malformed().isEmpty()) {
            throw new DeviceException("-device " + type.name() + ": malformed property '" + spec.malformed().getFirst()
                    + "' (write name=value); " + type.name() + " accepts: " + String.join(", ", accepted.keySet()));
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : spec.properties().entrySet()) {
            PropertySpec p = accepted.get(e.getKey());
            if (p == null) {
                throw new DeviceException("-device " + type.name() + ": unknown property '" + e.getKey() + "'; "
                        + type.name() + " accepts: " + String.join(", ", accepted.keySet()));
            }
            String text = e.getValue();
            if (text.equals(DeviceSpec.BARE)) {
                if (p.kind() != PropertySpec.Kind.BOOL) {
                    throw new DeviceException("-device " + type.name() + ": property '" + p.name() + "' needs a value ("
                            + p.name() + "=<" + p.kind().helpName() + ">)");
                }
                text = "on";
            }
            try {
                values.put(p.name(), p.parse(text));
            } catch (IllegalArgumentException ex) {
                throw new DeviceException("-device " + type.name() + ": malformed value for property '" + p.name() + "': "
                        + ex.getMessage() + " (expected <" + p.kind().helpName() + ">: " + p.help() + ")");
            }
        }
        List<String> missing = new ArrayList<>();
        for (PropertySpec p : accepted.values()) {
            String d = p.defaultValue();
            if (!values.containsKey(p.name())) {
                if (p.required()) {
                    missing.add(p.name());
                } else if (d != null) {
                    values.put(p.name(), p.parse(d));
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new DeviceException("-device " + type.name() + ": missing required propert" + (missing.size() == 1 ? "y " : "ies ")
                    + missing.stream().map(m -> m + "=...").collect(Collectors.joining(", ")) + " (see -device " + type.name() + ",help)");
        }
        Object given = values.remove(ID.name());
        String id = given instanceof String s ? s : generatedId(type.name());
        if (!ids.add(id)) {
            throw new DeviceException("-device " + type.name() + ": duplicate id '" + id + "'; each device needs its own id");
        }
        return new DeviceProps(id, type.name(), values);
    }

    private String generatedId(String typeName) {
        int n = 0;
        while (ids.contains(typeName + "." + n)) {
            n++;
        }
        return typeName + "." + n;
    }

    /** Whether a device in the machine has id {@code id}. */
    public synchronized boolean has(String id) {
        return ids.contains(id);
    }

    /** Frees the id of a device that has left the machine (unplugged), so a later device may have it. */
    public synchronized void release(String id) {
        ids.remove(id);
    }

    /** Creates the device for one {@code -device} option. */
    public synchronized Device create(DeviceSpec spec) throws DeviceException {
        DeviceProps props = props(spec);
        return type(spec.type()).create(props);
    }

    /** {@code -device help}: every type with its bus and description, QEMU style. */
    public String help() {
        StringBuilder b = new StringBuilder();
        for (DeviceType.Bus bus : DeviceType.Bus.values()) {
            List<DeviceType> onBus = types.values().stream().filter(t -> t.bus() == bus).toList();
            if (onBus.isEmpty()) {
                continue;
            }
            b.append(bus == DeviceType.Bus.PLATFORM ? "Platform bus devices:\n" : "PCIe devices:\n");
            for (DeviceType t : onBus) {
                b.append(String.format("name \"%s\", bus %s, desc \"%s\"%n", t.name(),
                        bus == DeviceType.Bus.PLATFORM ? "platform-bus" : "PCIE", t.description()));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** {@code -device TYPE,help}: the type's properties, QEMU style. */
    public String help(String typeName) throws DeviceException {
        DeviceType t = type(typeName);
        StringBuilder b = new StringBuilder(t.name()).append(" options:\n");
        List<PropertySpec> all = new ArrayList<>(t.properties());
        all.add(ID);
        all.sort((x, y) -> x.name().compareTo(y.name()));
        for (PropertySpec p : all) {
            b.append(p.helpLine()).append('\n');
        }
        return b.toString();
    }
}
