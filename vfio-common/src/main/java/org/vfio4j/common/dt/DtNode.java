package org.vfio4j.common.dt;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.eclipse.jdt.annotation.Nullable;

/**
 * An immutable device-tree node: name, optional unit address, optional label (the target of
 * {@link DtCell.Ref phandle references}), ordered properties and ordered children.
 *
 * <p>Why immutable data: a device builds its node once, from its own knowledge and the resources the
 * machine gave it, and hands it over; the machine may place it, compare it, print it or write it
 * several times (growing a blob that was too small) without the device being involved again.
 * Sibling names and property names are unique, as the Devicetree Specification requires; the
 * constructor enforces it so a duplicate fails where it is built.
 *
 * @param name         node name without unit address; {@code ""} only for the root
 * @param unitAddress  the part after {@code @} (hex without {@code 0x}, e.g. {@code "9000000"}),
 *                     or null
 * @param label        the label other nodes use to reference this one, or null; the writer gives
 *                     labelled nodes a {@code phandle} property
 */
public record DtNode(String name, @Nullable String unitAddress, @Nullable String label,
        List<DtProperty> properties, List<DtNode> children) {

    public DtNode {
        Objects.requireNonNull(name, "name");
        properties = List.copyOf(properties);
        children = List.copyOf(children);
        if (!name.isEmpty() && !DtNames.isNodeName(name)) {
            throw new IllegalArgumentException("invalid device-tree node name '" + name
                    + "': 1 to 31 of 0-9 a-z A-Z , . _ + -");
        }
        String unit = unitAddress;
        if (unit != null && !DtNames.isUnitAddress(unit)) {
            throw new IllegalArgumentException("invalid unit address '" + unit + "' for node '" + name + "'");
        }
        if (name.isEmpty() && unit != null) {
            throw new IllegalArgumentException("the root node has no unit address");
        }
        String l = label;
        if (l != null && !DtNames.isLabel(l)) {
            throw new IllegalArgumentException("invalid label '" + l + "' for node '" + name
                    + "': use letters, digits and '_' and start with a letter or '_'");
        }
        Set<String> seen = new HashSet<>();
        for (DtProperty p : properties) {
            if (!seen.add(p.name())) {
                throw new IllegalArgumentException("node '" + name + "' has property '" + p.name() + "' twice");
            }
        }
        seen.clear();
        for (DtNode c : children) {
            if (!seen.add(c.fullName())) {
                throw new IllegalArgumentException("node '" + name + "' has child '" + c.fullName() + "' twice");
            }
        }
    }

    /** The name as it appears in a path: {@code name@unit} or {@code name}. */
    public String fullName() {
        String unit = unitAddress;
        return unit == null ? name : name + "@" + unit;
    }

    /** The property called {@code propertyName}, if present. */
    public Optional<DtProperty> property(String propertyName) {
        return properties.stream().filter(p -> p.name().equals(propertyName)).findFirst();
    }

    /** The child whose {@linkplain #fullName() full name} is {@code fullName}, if present. */
    public Optional<DtNode> child(String fullName) {
        return children.stream().filter(c -> c.fullName().equals(fullName)).findFirst();
    }

    /**
     * The node at a path relative to this one ({@code "intc@8000000/its@8080000"}); a leading
     * {@code /} is ignored, so on the root this takes absolute paths.
     */
    public Optional<DtNode> find(String path) {
        DtNode at = this;
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            Optional<DtNode> next = at.child(part);
            if (next.isEmpty()) {
                return Optional.empty();
            }
            at = next.get();
        }
        return Optional.of(at);
    }

    /**
     * A copy with {@code property} set: it replaces the property of the same name in place, or is
     * appended. For specialisations that start from a generic device's node (e.g. a Calxeda xgmac
     * from vfio-platform's default node) and change a few properties.
     */
    public DtNode with(DtProperty property) {
        List<DtProperty> props = new ArrayList<>(properties);
        boolean replaced = false;
        for (int i = 0; i < props.size(); i++) {
            if (props.get(i).name().equals(property.name())) {
                props.set(i, property);
                replaced = true;
            }
        }
        if (!replaced) {
            props.add(property);
        }
        return new DtNode(name, unitAddress, label, props, children);
    }

    /** A copy without the property called {@code propertyName} (the same node if it has none). */
    public DtNode without(String propertyName) {
        return new DtNode(name, unitAddress, label,
                properties.stream().filter(p -> !p.name().equals(propertyName)).toList(), children);
    }

    /** A copy with more children appended (used by buses that collect their devices' nodes). */
    public DtNode withChildren(List<DtNode> more) {
        List<DtNode> all = new ArrayList<>(children);
        all.addAll(more);
        return new DtNode(name, unitAddress, label, properties, all);
    }

    /** A builder for a node called {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The root node's builder. */
    public static Builder root() {
        return new Builder("");
    }

    /** Source-like rendering for messages and tests (not a full dts printer). */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        render(b, 0);
        return b.toString();
    }

    private void render(StringBuilder b, int depth) {
        String indent = "\t".repeat(depth);
        String l = label;
        b.append(indent).append(l == null ? "" : l + ": ").append(name.isEmpty() ? "/" : fullName()).append(" {\n");
        for (DtProperty p : properties) {
            b.append(indent).append('\t').append(p).append('\n');
        }
        for (DtNode c : children) {
            c.render(b, depth + 1);
        }
        b.append(indent).append("};\n");
    }

    /** Mutable builder; {@link #build()} validates and freezes. */
    public static final class Builder {
        private final String name;
        private @Nullable String unitAddress;
        private @Nullable String label;
        private final List<DtProperty> properties = new ArrayList<>();
        private final List<DtNode> children = new ArrayList<>();

        private Builder(String name) {
            this.name = name;
        }

        /** Unit address as written ({@code "0,1"} for PCI-style addresses). */
        public Builder unitAddress(String unit) {
            this.unitAddress = unit;
            return this;
        }

        /** Unit address from a number, written in lower-case hex without {@code 0x}. */
        public Builder unitAddress(long address) {
            this.unitAddress = Long.toHexString(address);
            return this;
        }

        /** The label other nodes reference this node by. */
        public Builder label(String nodeLabel) {
            this.label = nodeLabel;
            return this;
        }

        /** Appends a property. */
        public Builder property(DtProperty property) {
            properties.add(property);
            return this;
        }

        /** Appends properties. */
        public Builder properties(List<DtProperty> more) {
            properties.addAll(more);
            return this;
        }

        /** Appends a child node. */
        public Builder child(DtNode child) {
            children.add(child);
            return this;
        }

        /** Appends child nodes. */
        public Builder children(List<DtNode> more) {
            children.addAll(more);
            return this;
        }

        /** The validated immutable node. */
        public DtNode build() {
            return new DtNode(name, unitAddress, label, properties, children);
        }
    }
}
