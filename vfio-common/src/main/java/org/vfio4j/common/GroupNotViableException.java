package org.vfio4j.common;

import java.util.List;

/**
 * The kernel refused a group as not viable: some device in it is bound to a host driver, so handing the group
 * to user space would let that driver's device DMA into memory the user controls (or the reverse).
 *
 * <p>Why its own type: the fix is always the same shape, and callers (and tests) want the offending devices
 * as data, not only as text. The message names each device, its driver and the commands that rebind it.
 */
public final class GroupNotViableException extends VfioException {
    private static final long serialVersionUID = 1L;
    private final int group;
    private final transient List<SysfsDevice> offenders;

    GroupNotViableException(int group, List<SysfsDevice> offenders) {
        super("attach IOMMU group " + group, 0, explain(group, offenders));
        this.group = group;
        this.offenders = List.copyOf(offenders);
    }

    private static String explain(int group, List<SysfsDevice> offenders) {
        StringBuilder sb = new StringBuilder("the group is not viable: every device in /sys/kernel/iommu_groups/")
                .append(group).append("/devices must be bound to a VFIO driver or unbound.");
        if (offenders.isEmpty()) {
            sb.append(" sysfs shows no offending device now; a driver may have just been bound or unbound, retry.");
        }
        for (SysfsDevice d : offenders) {
            sb.append("\n  ").append(d.name()).append(d.vendorDevice().isEmpty() ? "" : " [" + d.vendorDevice() + "]")
                    .append(" is bound to ").append(d.driver()).append("; fix: ").append(d.fix());
        }
        return sb.toString();
    }

    /** The group number. */
    public int group() {
        return group;
    }

    /** The devices that keep the group from being viable. */
    public List<SysfsDevice> offenders() {
        return offenders;
    }
}
