package org.vfio4j.virt.run;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.board.BootLayout;
import org.vfio4j.virt.board.KernelImage;
import org.vfio4j.virt.board.MmioRange;

/**
 * Copies the kernel, the initrd and the DTB into guest RAM where {@link BootLayout} planned them, after
 * checking the arm64 boot protocol's rules (Documentation/arch/arm64/booting.rst), and says where the primary
 * vCPU starts: for Linux (an Image or raw binary) PC at its first byte, X0 the DTB's address, X1–X3 zero; for
 * an ELF PC at {@code e_entry} and X0 zero, as QEMU's virt machine starts a bare-metal program.
 *
 * <p>Why two steps: the files depend only on the command line, so {@link Preboot} copies them while the machine
 * is still being assembled; the DTB exists only once it is, and goes in last ({@link #loadDtb}).
 *
 * <p>Why re-check what the layout planned: the protocol's rules (kernel at a 2 MiB aligned base +
 * text_offset, DTB 8-byte aligned, at most 2 MiB and not crossing a 2 MiB boundary) are what the guest
 * depends on; checking them at the one place that writes guest memory turns a future layout bug into a clear
 * message instead of a silent early-boot hang.
 */
public final class GuestLoader {
    private static final long TWO_MIB = 2L << 20;

    /** Where the primary vCPU enters the kernel. */
    public record Entry(long pc, long x0) {
    }

    private GuestLoader() {
    }

    /**
     * Copies the kernel (and the initrd) into {@code ram} (the segment for guest range {@code ramRange}): the part
     * that needs only the command line's files, done by the preboot while the machine is still being assembled.
     * An Image or raw binary goes to {@code layout.kernel()}, unpacked first if it was compressed; an ELF's
     * segments go to their addresses, the bytes beyond each segment's file part zeroed.
     *
     * @throws IllegalArgumentException naming the broken rule
     */
    public static void loadFiles(MemorySegment ram, MmioRange ramRange, BootLayout layout, KernelImage image,
            @Nullable Path initrd) throws IOException {
        MmioRange k = layout.kernel();
        if (image.format() == KernelImage.Format.ELF) {
            try (FileChannel ch = FileChannel.open(image.path(), StandardOpenOption.READ)) {
                for (KernelImage.Segment s : image.segments()) {
                    long off = offset(ramRange, s.address(), s.memSize());
                    copy(ch, image.path(), s.offset(), s.fileSize(), ram, off);
                    ram.asSlice(off + s.fileSize(), s.memSize() - s.fileSize()).fill((byte) 0);
                }
            }
            return;
        }
        if ((k.base() - image.textOffset()) % TWO_MIB != 0) {
            throw new IllegalArgumentException(String.format("kernel at 0x%x: base - text_offset must be 2 MiB aligned", k.base()));
        }
        byte[] unpacked = image.payload();
        if (unpacked != null) {
            MemorySegment.copy(MemorySegment.ofArray(unpacked), 0, ram, offset(ramRange, k.base(), unpacked.length),
                    unpacked.length);
        } else {
            copyFile(ram, ramRange, k.base(), image.path());
        }
        MmioRange i = layout.initrd();
        if (initrd != null && i != null) {
            copyFile(ram, ramRange, i.base(), initrd);
        }
    }

    /**
     * Copies the device tree into {@code ram} where {@code layout} planned it and says where the primary vCPU
     * enters: the part that needs the assembled machine.
     *
     * @throws IllegalArgumentException naming the broken rule
     */
    public static Entry loadDtb(MemorySegment ram, MmioRange ramRange, BootLayout layout, byte[] dtb) {
        MmioRange d = layout.dtb();
        if (layout.format() == KernelImage.Format.ELF && dtb.length > d.size()) {
            throw new IllegalArgumentException(String.format("the device tree (%d bytes) does not fit in the %d bytes "
                    + "below the ELF at 0x%x; link the program higher", dtb.length, d.size(), d.end()));
        }
        if (d.base() % 8 != 0 || dtb.length > TWO_MIB || d.base() / TWO_MIB != (d.base() + dtb.length - 1) / TWO_MIB) {
            throw new IllegalArgumentException(String.format("device tree of %d bytes at 0x%x breaks the arm64 boot "
                    + "protocol (8-byte aligned, at most 2 MiB, within one 2 MiB block)", dtb.length, d.base()));
        }
        MemorySegment.copy(MemorySegment.ofArray(dtb), 0, ram, offset(ramRange, d.base(), dtb.length), dtb.length);
        // Linux takes the DTB's address in X0; an ELF is entered as QEMU enters one, registers zero but the PC.
        return new Entry(layout.entry(), layout.format() == KernelImage.Format.ELF ? 0 : d.base());
    }

    private static long offset(MmioRange ram, long guestAddress, long length) {
        if (!ram.contains(new MmioRange(guestAddress, Math.max(length, 1)))) {
            throw new IllegalArgumentException(String.format("0x%x+0x%x lies outside guest RAM %s", guestAddress, length, ram));
        }
        return guestAddress - ram.base();
    }

    /**
     * Reads {@code file} straight into guest RAM at {@code guestAddress}: a direct buffer over the RAM slice, so
     * the kernel copies the bytes once and the JVM not at all (this runs on the preboot thread beside Guice, and
     * a 10 MB Image through a heap buffer cost that thread a second copy and the collector 1 MB a read).
     */
    private static void copyFile(MemorySegment ram, MmioRange ramRange, long guestAddress, Path file) throws IOException {
        long size = Files.size(file);
        long off = offset(ramRange, guestAddress, size);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            copy(ch, file, 0, size, ram, off);
        }
    }

    /** Reads {@code size} bytes at {@code from} in {@code ch} into {@code ram} at {@code off}, without a heap copy. */
    private static void copy(FileChannel ch, Path file, long from, long size, MemorySegment ram, long off) throws IOException {
        for (long done = 0; done < size; ) {
            int chunk = (int) Math.min(size - done, 1 << 30);
            ByteBuffer dst = ram.asSlice(off + done, chunk).asByteBuffer();
            while (dst.hasRemaining()) {
                if (ch.read(dst, from + done + dst.position()) < 0) {
                    throw new IOException(file + " shrank while it was read (" + (done + dst.position()) + " of "
                            + size + " bytes)");
                }
            }
            done += chunk;
        }
    }
}
