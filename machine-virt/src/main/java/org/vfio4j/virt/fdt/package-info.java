/**
 * The device tree through libfdt on the FFM API: {@link org.vfio4j.virt.fdt.Libfdt} is the binding
 * (in the shape jextract generates), {@link org.vfio4j.virt.fdt.FdtWriter} turns
 * {@link org.vfio4j.common.dt.DtNode} data into a blob, {@link org.vfio4j.virt.fdt.FdtReader} reads a
 * blob (ours or QEMU's) back into nodes.
 *
 * <p>Why libfdt rather than writing the format in Java: it is the reference implementation the
 * kernel, QEMU and U-Boot use, so its checks (and its errors) are the ones guests are built against.
 */
@NonNullByDefault
package org.vfio4j.virt.fdt;

import org.eclipse.jdt.annotation.NonNullByDefault;
