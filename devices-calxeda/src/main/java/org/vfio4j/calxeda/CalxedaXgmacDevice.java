package org.vfio4j.calxeda;

import java.util.Set;

import org.vfio4j.common.DeviceHandle;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.platform.VfioPlatformDevice;

/**
 * The host side of an assigned Calxeda Highbank xgmac: a {@link VfioPlatformDevice} whose DMA mappings are
 * made readable, writable and executable.
 *
 * <p>Why EXEC: the seed RFC maps the xgmac's guest memory with the EXEC permission (the RFC "Add EXEC_FLAG to
 * VFIO DMA mappings" was written for this device on the Highbank SMMU, where a mapping without it would be
 * no-exec). On today's kernels EXEC is what type1 grants by default (vfio-common's {@link DmaPermission}
 * docs): asking for it explicitly keeps the intent visible and makes vfio4j refuse, rather than silently
 * drop, a combination the kernel cannot express.
 */
public class CalxedaXgmacDevice extends VfioPlatformDevice {
    /** Read, write and execute: what the RFC maps for the xgmac. */
    public static final Set<DmaPermission> DMA_PERMISSIONS = Set.of(DmaPermission.READ, DmaPermission.WRITE, DmaPermission.EXEC);

    /** Opens the xgmac behind {@code handle}. */
    public CalxedaXgmacDevice(DeviceHandle handle) {
        super(handle);
    }

    @Override
    protected Set<DmaPermission> dmaPermissions() {
        return DMA_PERMISSIONS;
    }
}
