package org.vfio4j.virt.pci;

import org.vfio4j.virt.emu.MmioDevice;

/**
 * The ECAM window (PCIe enhanced configuration access) of the root complex: offset = bus &lt;&lt; 20 |
 * device &lt;&lt; 15 | function &lt;&lt; 12 | register. Accesses to a function on the root bus that is present go
 * to it; everything else reads all ones (vendor 0xffff: "no function here") and ignores writes, as a root
 * complex does for an unanswered configuration request.
 *
 * <p>Why 8-byte accesses are split: config space is a 32-bit register file; an {@code ldr x} across two
 * registers is two config reads.
 */
public final class Ecam implements MmioDevice {
    private final PciRootBus bus;

    Ecam(PciRootBus bus) {
        this.bus = bus;
    }

    @Override
    public long read(long offset, int size) {
        if (size == 8) {
            return Integer.toUnsignedLong(read32(offset)) | (long) read32(offset + 4) << 32;
        }
        PciFunction f = bus.function(offset);
        if (f == null || (offset & (size - 1)) != 0) {
            return (1L << (8 * size)) - 1;
        }
        int v = f.configRead((int) (offset & 0xfff), size);
        return size == 4 ? Integer.toUnsignedLong(v) : v & ((1L << (8 * size)) - 1);
    }

    private int read32(long offset) {
        return (int) read(offset, 4);
    }

    @Override
    public void write(long offset, int size, long value) {
        if (size == 8) {
            write(offset, 4, value & 0xffff_ffffL);
            write(offset + 4, 4, value >>> 32);
            return;
        }
        PciFunction f = bus.function(offset);
        if (f != null && (offset & (size - 1)) == 0) {
            f.configWrite((int) (offset & 0xfff), size, (int) value);
        }
    }
}
