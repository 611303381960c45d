package org.vfio4j.pci;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.RateLimitedLog;

/**
 * Guest accesses to the trapped parts of one BAR: the MSI-X table and PBA go to the emulation,
 * everything else to the device through the region's read/write.
 *
 * <p>Why a class: it is also where the INTx fallback sees BAR accesses (its EOI signal), and where
 * a failing host access becomes an all-ones read instead of an exception in a vCPU thread.
 */
final class BarTrap implements TrapHandler {

    private final int bar;
    private final PciHostRegion region;
    private final @Nullable MsixCapability msix;
    private final @Nullable IntxInterrupt intx;
    private final RateLimitedLog warnings;

    BarTrap(int bar, PciHostRegion region, @Nullable MsixCapability msix, @Nullable IntxInterrupt intx,
            RateLimitedLog warnings) {
        this.warnings = warnings;
        this.bar = bar;
        this.region = region;
        this.msix = msix;
        this.intx = intx;
    }

    @Override
    public long read(long offset, int size) {
        IntxInterrupt i = intx;
        if (i != null) {
            i.barAccessed();
        }
        MsixCapability m = msix;
        if (m != null && m.claims(bar, offset, size)) {
            return m.read(bar, offset, size);
        }
        try {
            return region.read(offset, size);
        } catch (RuntimeException e) {
            warnings.report("BAR" + bar + " read at 0x" + Long.toHexString(offset) + " failed, the guest reads all "
                    + "ones: " + e.getMessage());
            return size == 8 ? -1L : (1L << (8 * size)) - 1;
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        IntxInterrupt i = intx;
        if (i != null) {
            i.barAccessed();
        }
        MsixCapability m = msix;
        if (m != null && m.claims(bar, offset, size)) {
            m.write(bar, offset, size, value);
            return;
        }
        try {
            region.write(offset, size, value);
        } catch (RuntimeException e) {
            warnings.report("BAR" + bar + " write at 0x" + Long.toHexString(offset) + " failed and was dropped: "
                    + e.getMessage());
        }
    }
}
