package org.vfio4j.virt.board;

import static org.vfio4j.virt.board.Sizes.KiB;
import static org.vfio4j.virt.board.Sizes.MiB;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.eclipse.jdt.annotation.Nullable;

/**
 * Where the kernel, initrd and device tree go in guest RAM, following the arm64 boot protocol and
 * QEMU's choices so the two machines hand a guest the same {@code /chosen}: the kernel at a 2 MiB
 * aligned base + {@code text_offset}; the initrd at RAM + min(RAM/2, 128 MiB) or above the kernel's
 * {@code image_size}, page aligned; the DTB in its own 2 MiB-aligned block above both (the protocol
 * limits it to 2 MiB and maps it with 2 MiB blocks).
 *
 * <p>An ELF is not Linux: its segments go where it says (inside RAM), it gets no initrd, and the DTB goes at
 * the base of RAM, below the ELF's lowest address, when there is room (where QEMU puts it for bare-metal
 * programs), else in the first 2 MiB block above it.
 *
 * @param initrd null without {@code -initrd}
 * @param format how the kernel boots (see {@link KernelImage})
 * @param entry  where the primary vCPU starts: the kernel's first byte for Linux, {@code e_entry} for an ELF
 */
public record BootLayout(MmioRange kernel, @Nullable MmioRange initrd, MmioRange dtb, KernelImage.Format format, long entry) {
    private static final long PAGE = 4 * KiB;
    private static final long BLOCK = 2 * MiB;
    /** Below an ELF, the least room taken for the DTB (machine-virt's trees are a few KiB). */
    private static final long MIN_DTB_ROOM = 64 * KiB;

    /**
     * Plans the layout.
     *
     * @throws IllegalArgumentException naming what does not fit when RAM is too small
     */
    public static BootLayout plan(MmioRange ram, KernelImage kernel, long initrdSize) {
        if (!kernel.linux()) {
            return planElf(ram, kernel, initrdSize);
        }
        long kernelBase = ram.base() + kernel.textOffset();
        MmioRange k = new MmioRange(kernelBase, Math.max(kernel.loadedSize(), 1));
        long top = align(k.end(), PAGE);
        MmioRange initrd = null;
        if (initrdSize > 0) {
            long start = Math.max(align(ram.base() + Math.min(ram.size() / 2, 128 * MiB), PAGE), top);
            initrd = new MmioRange(start, initrdSize);
            top = initrd.end();
        }
        MmioRange dtb = new MmioRange(align(top, BLOCK), BLOCK);
        if (!ram.contains(dtb)) {
            throw new IllegalArgumentException("guest RAM (" + Sizes.human(ram.size()) + ") is too small for the kernel ("
                    + Sizes.human(kernel.loadedSize()) + ")" + (initrdSize > 0 ? ", the initrd (" + Sizes.human(initrdSize) + ")" : "")
                    + " and the device tree (2M block); need at least "
                    + Sizes.human(align(dtb.end() - ram.base(), MiB)) + " (-m)");
        }
        return new BootLayout(k, initrd, dtb, kernel.format(), k.base());
    }

    private static BootLayout planElf(MmioRange ram, KernelImage elf, long initrdSize) {
        if (initrdSize > 0) {
            throw new IllegalArgumentException("-initrd is for Linux kernels, and " + elf.path() + " is an ELF program "
                    + "(QEMU would ignore it): drop -initrd, or give the kernel as an arm64 Image");
        }
        MmioRange k = new MmioRange(elf.lowestAddress(), Math.max(elf.loadedSize(), 1));
        if (!ram.contains(k)) {
            throw new IllegalArgumentException(String.format("the ELF's segments span 0x%x-0x%x, outside guest RAM %s: "
                    + "link it inside RAM (from 0x%x) or give more -m", k.base(), k.end() - 1, ram, ram.base()));
        }
        long room = k.base() - ram.base();
        MmioRange dtb = room >= MIN_DTB_ROOM ? new MmioRange(ram.base(), Math.min(room, BLOCK))
                : new MmioRange(align(k.end(), BLOCK), BLOCK);
        if (!ram.contains(dtb)) {
            throw new IllegalArgumentException("guest RAM (" + Sizes.human(ram.size()) + ") has no 2M block free for the "
                    + "device tree beside the ELF; give more -m");
        }
        return new BootLayout(k, null, dtb, KernelImage.Format.ELF, elf.entry());
    }

    /**
     * Whether {@code other} puts the kernel, initrd and DTB at the same places. Field by field on purpose: a record's
     * {@code equals} links an invokedynamic bootstrap on its first call, which spun ~10 method-handle classes on the
     * runner's critical path (0.1-0.2 s under the aarch64 lab's emulation, seen with {@code -Xlog:class+load}).
     */
    public boolean sameAs(BootLayout other) {
        MmioRange i = initrd;
        MmioRange j = other.initrd;
        return same(kernel, other.kernel) && same(dtb, other.dtb) && format == other.format && entry == other.entry
                && (i == null || j == null ? i == j : same(i, j));
    }

    private static boolean same(MmioRange a, MmioRange b) {
        return a.base() == b.base() && a.size() == b.size();
    }

    /**
     * The size {@link #plan} is given for {@code initrd}: 0 without one, at least 1 for an empty file (an empty
     * initrd still gets a range in {@code /chosen}). One place, because the device tree's layout and the one the
     * runner loads by must agree.
     */
    public static long initrdSize(@Nullable Path initrd) throws IOException {
        return initrd == null ? 0 : Math.max(Files.size(initrd), 1);
    }

    private static long align(long v, long a) {
        return (v + a - 1) & -a;
    }
}
