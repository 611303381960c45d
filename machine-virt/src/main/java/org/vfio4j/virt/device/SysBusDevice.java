package org.vfio4j.virt.device;

import org.vfio4j.common.dt.DtNode;

/**
 * A device on the platform bus: it holds a {@link PlatformAllocation} and describes itself with a
 * device-tree node, which the machine places under {@code /platform-bus@c000000}.
 *
 * <p>Why the node comes from the device: only the device knows its {@code compatible} strings and
 * binding-specific properties (seed RFC 001: device-tree generation in devices, not in the machine).
 */
public interface SysBusDevice extends Device {

    /** Where it sits on the platform bus. */
    PlatformAllocation allocation();

    /** Its node, with {@code reg} and {@code interrupts} from {@link #allocation()}. */
    DtNode deviceTreeNode();
}
