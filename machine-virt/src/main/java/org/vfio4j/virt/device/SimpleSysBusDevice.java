package org.vfio4j.virt.device;

import org.vfio4j.common.dt.DtNode;

/**
 * A sysbus device that is only its allocation and node: stubs, tests and plugins whose device needs
 * nothing at run time beyond what its node says.
 *
 * <p>A final class rather than a record: ECJ's null analysis (3.45) rejects a record's implicit
 * accessors as overriders of {@code @NonNullByDefault} interface methods.
 */
public final class SimpleSysBusDevice implements SysBusDevice {
    private final String id;
    private final PlatformAllocation allocation;
    private final DtNode node;

    /** A device {@code id} holding {@code allocation}, described by {@code node}. */
    public SimpleSysBusDevice(String id, PlatformAllocation allocation, DtNode node) {
        this.id = id;
        this.allocation = allocation;
        this.node = node;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public PlatformAllocation allocation() {
        return allocation;
    }

    @Override
    public DtNode deviceTreeNode() {
        return node;
    }

    @Override
    public String toString() {
        return allocation.describe();
    }
}
