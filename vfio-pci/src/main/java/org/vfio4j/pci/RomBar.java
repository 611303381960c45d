package org.vfio4j.pci;

import java.util.Optional;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The expansion ROM BAR: readable by the guest from the device's ROM region, or hidden.
 *
 * <p>Why: guests (and firmware) size and enable the ROM BAR to copy option ROM code; a broken one
 * (no ROM signature, unreadable region) must not be shown at all, and {@code rombar=0} hides it on
 * request, as QEMU does. The ROM is read from the host once, on first guest access, and served
 * from memory; it is always trapped (the VFIO ROM region cannot be mmapped) and read-only.
 */
final class RomBar {

    static final int REGISTER = 0x30;
    static final int REGION = 6;
    private static final System.Logger LOG = System.getLogger(RomBar.class.getName());

    private final PciHost host;
    private final long size;
    private byte @Nullable [] image;
    private PciBarMapper.@Nullable Mapping mapping;
    private long mappedAt = -1;

    private RomBar(PciHost host, long size) {
        this.host = host;
        this.size = size;
    }

    /**
     * The ROM BAR if the device has a usable ROM and the options do not hide it; empty otherwise (the
     * register then reads as zero).
     */
    static Optional<RomBar> probe(PciHost host, boolean wanted) {
        if (!wanted) {
            return Optional.empty();
        }
        long size = host.hostRegion(REGION).map(PciHostRegion::size).orElse(0L);
        if (size == 0) {
            return Optional.empty();
        }
        if (Long.bitCount(size) != 1 || size < 2048) {
            LOG.log(System.Logger.Level.WARNING, "{0}: ROM region size {1} is not a ROM BAR size; hiding the ROM",
                    host.name(), size);
            return Optional.empty();
        }
        try {
            long signature = host.hostRegion(REGION).orElseThrow().read(0, 2);
            if (signature != 0xAA55) {
                LOG.log(System.Logger.Level.WARNING, "{0}: ROM has no 0x55AA signature (read 0x{1}); hiding it",
                        host.name(), Long.toHexString(signature));
                return Optional.empty();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: ROM unreadable ({1}); hiding it", host.name(), e.getMessage());
            return Optional.empty();
        }
        return Optional.of(new RomBar(host, size));
    }

    long size() {
        return size;
    }

    long addressMask() {
        return ~(size - 1) & 0xFFFF_F800L;
    }

    /** Declares the ROM BAR masks: address bits and the enable bit writable, all emulated. */
    void define(ConfigSpace config) {
        config.masks().define(REGISTER, 4, 0xFFFF_FFFFL, addressMask() | 1);
        config.setEmulated(REGISTER, 4, 0);
    }

    /** Hides the register: reads as zero, writes dropped. */
    static void hide(ConfigSpace config) {
        config.masks().emulateReadOnly(REGISTER, 4);
        config.setEmulated(REGISTER, 4, 0);
    }

    /** Maps or unmaps the ROM to match its register and the memory-decode bit. */
    void update(ConfigSpace config, PciBarMapper mapper, boolean memoryEnabled) {
        long reg = config.emulatedValue(REGISTER, 4);
        long address = reg & addressMask();
        boolean valid = memoryEnabled && (reg & 1) != 0 && address != 0 && address != addressMask();
        long want = valid ? address : -1;
        if (want == mappedAt) {
            return;
        }
        unmap();
        if (want >= 0) {
            mapping = mapper.mapTrapped(BarSpace.MEMORY, want, size, new TrapHandler() {
                @Override
                public long read(long offset, int width) {
                    return readImage(offset, width);
                }

                @Override
                public void write(long offset, int width, long value) {
                    // ROM: writes are ignored, like the hardware.
                }
            });
            mappedAt = want;
        }
    }

    long mappedAddress() {
        return mappedAt;
    }

    private long readImage(long offset, int width) {
        byte[] rom = image;
        if (rom == null) {
            rom = load();
            image = rom;
        }
        long v = 0;
        for (int i = 0; i < width; i++) {
            long at = offset + i;
            int b = at >= 0 && at < rom.length ? rom[(int) at] & 0xFF : 0xFF;
            v |= (long) b << (8 * i);
        }
        return v;
    }

    private byte[] load() {
        PciHostRegion region = host.hostRegion(REGION).orElseThrow();
        byte[] rom = new byte[(int) Math.min(size, Integer.MAX_VALUE - 8)];
        java.util.Arrays.fill(rom, (byte) 0xFF);
        try {
            for (int at = 0; at + 4 <= rom.length; at += 4) {
                int v = (int) region.read(at, 4);
                for (int i = 0; i < 4; i++) {
                    rom[at + i] = (byte) (v >>> (8 * i));
                }
            }
        } catch (RuntimeException e) {
            // The kernel only serves the images it found; the rest of the BAR reads as all ones.
            LOG.log(System.Logger.Level.DEBUG, "{0}: ROM read stopped early: {1}", host.name(), e.getMessage());
        }
        return rom;
    }

    void unmap() {
        PciBarMapper.Mapping m = mapping;
        if (m != null) {
            m.close();
        }
        mapping = null;
        mappedAt = -1;
    }
}
