package org.vfio4j.virt.emu;

/**
 * The PCIe configuration space (ECAM) of a bus with no devices: every read is all ones — what a PCI root
 * complex answers for an absent function, so the guest's enumeration finds vendor 0xffff and moves on —
 * and writes are ignored.
 *
 * <p>Why: the machine advertises its PCIe host in the device tree, and the guest scans all 256 buses at
 * boot; without a responder each scanned function would be an "unclaimed access" report. Functions that
 * are present (assigned devices) answer through the PCIe root bus instead.
 */
public final class AbsentDevices implements MmioDevice {
    @Override
    public long read(long offset, int size) {
        return size >= 8 ? -1L : (1L << (8 * size)) - 1;
    }

    @Override
    public void write(long offset, int size, long value) {
        // no device to write to
    }
}
