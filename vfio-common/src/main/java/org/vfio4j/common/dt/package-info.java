/**
 * Device-tree nodes as immutable data.
 *
 * <p>Why: a device that a guest sees on a platform bus is described to the guest by a device-tree
 * node, and the device knows best what that node says (seed RFC 001: "device tree generation in
 * devices instead of machine file"). Devices in {@code vfio-platform} and plugin jars return a
 * {@link org.vfio4j.common.dt.DtNode}; the machine ({@code machine-virt}) places it in its tree,
 * resolves {@linkplain org.vfio4j.common.dt.DtCell.Ref phandle references} and writes the blob with
 * libfdt. Nothing here touches native memory: it is plain data, easy to build, compare and test.
 */
@NonNullByDefault
package org.vfio4j.common.dt;

import org.eclipse.jdt.annotation.NonNullByDefault;
