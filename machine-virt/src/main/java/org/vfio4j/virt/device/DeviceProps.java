package org.vfio4j.virt.device;

import java.util.Map;
import java.util.NoSuchElementException;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The checked, typed properties of one {@code -device} option, with defaults filled in, as a type's
 * {@link DeviceType#create} receives them.
 *
 * <p>Why typed getters that do not fail on user input: the registry has already parsed every value
 * against the type's {@link PropertySpec}s, so a type reads {@code uint("irqs")} without error
 * handling; asking for an undeclared property is a programming error
 * ({@link NoSuchElementException}).
 *
 * @param id     the device's id ({@code id=} or generated, unique in the machine)
 * @param values property name → {@code String}, {@code Boolean} or {@code Long}; absent when
 *               optional without default and not given
 */
public record DeviceProps(String id, String type, Map<String, Object> values) {

    public DeviceProps {
        values = Map.copyOf(values);
    }

    /** Whether the property has a value (given or default). */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** A string property's value, or null when it has none. */
    public @Nullable String stringOrNull(String name) {
        Object v = values.get(name);
        return v == null ? null : (String) v;
    }

    /** A string property that has a value. */
    public String string(String name) {
        return (String) value(name);
    }

    /** A boolean property. */
    public boolean bool(String name) {
        return (Boolean) value(name);
    }

    /** A number or size property. */
    public long uint(String name) {
        return (Long) value(name);
    }

    private Object value(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw new NoSuchElementException(type + " has no value for property '" + name + "'");
        }
        return v;
    }
}
