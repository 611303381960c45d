package org.vfio4j.common;

import org.vfio4j.common.sys.VfioAbi;

/**
 * {@code struct vfio_group_status} as returned by VFIO_GROUP_GET_STATUS.
 *
 * @param flags VFIO_GROUP_FLAGS_* bits
 */
public record GroupStatus(int flags) {
    /** Every device in the group is on a VFIO driver (or harmless): the group may be used. */
    public boolean viable() {
        return (flags & VfioAbi.VFIO_GROUP_FLAGS_VIABLE) != 0;
    }

    /** The group is attached to a container. */
    public boolean containerSet() {
        return (flags & VfioAbi.VFIO_GROUP_FLAGS_CONTAINER_SET) != 0;
    }
}
