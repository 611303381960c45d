package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;

/**
 * A region of a VFIO device (a PCI BAR, config space, ROM; a platform MMIO range): accessed through
 * pread/pwrite on the device fd at the region's offset, or mmapped where the kernel allows.
 *
 * <p>Why abstract: buses specialise regions (vfio-pci virtualises config space and traps the MSI-X table);
 * the access paths here are the ones they build on. Accesses are little-endian, like the devices; widths are
 * 1, 2, 4 or 8 bytes. Mapped areas are {@link MemorySegment}s owned by the region: closing the region (or its
 * device) unmaps them and any later access through them throws IllegalStateException instead of faulting.
 */
public abstract class VfioRegion implements AutoCloseable {
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8, 8));

    private final VfioDevice device;
    private final RegionInfo info;
    private final Map<SparseArea, MemorySegment> mapped = new LinkedHashMap<>();
    private Arena mappings = Arena.ofShared();
    private volatile boolean closed;

    /** A region of {@code device} described by {@code info}. */
    protected VfioRegion(VfioDevice device, RegionInfo info) {
        this.device = device;
        this.info = info;
    }

    public final VfioDevice device() {
        return device;
    }

    public final RegionInfo info() {
        return info;
    }

    public final int index() {
        return info.index();
    }

    public final long size() {
        return info.size();
    }

    /** Throws IllegalStateException when the region (or its device) is closed. */
    protected final void ensureOpen() {
        Check.open(closed || device.isClosed(), this);
    }

    private long check(long offset, long width, boolean write) {
        ensureOpen();
        if (write ? !info.writable() : !info.readable()) {
            throw new IllegalStateException(this + " is not " + (write ? "writable" : "readable") + " (flags 0x"
                    + Integer.toHexString(info.flags()) + ")");
        }
        if (offset < 0 || width <= 0 || offset + width > info.size() || offset + width < 0) {
            throw new IndexOutOfBoundsException("access of " + width + " bytes at " + Check.hex(offset) + " is outside "
                    + this + " (size " + Check.hex(info.size()) + ")");
        }
        return info.offset() + offset;
    }

    /** Reads {@code width} (1, 2, 4 or 8) bytes at {@code offset}, zero-extended. */
    public long read(long offset, int width) {
        checkWidth(width);
        long pos = check(offset, width, false);
        MemorySegment buf = SCRATCH.get();
        long r = device.kernel().pread(device.fd(), buf, width, pos);
        if (r != width) {
            throw accessFailure("read", offset, width, r);
        }
        return switch (width) {
            case 1 -> Byte.toUnsignedLong(buf.get(ValueLayout.JAVA_BYTE, 0));
            case 2 -> Short.toUnsignedLong(buf.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
            case 4 -> Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
            case 8 -> buf.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            default -> throw new IllegalArgumentException("access width must be 1, 2, 4 or 8, not " + width);
        };
    }

    /** Writes the low {@code width} (1, 2, 4 or 8) bytes of {@code value} at {@code offset}. */
    public void write(long offset, int width, long value) {
        checkWidth(width);
        long pos = check(offset, width, true);
        MemorySegment buf = SCRATCH.get();
        switch (width) {
            case 1 -> buf.set(ValueLayout.JAVA_BYTE, 0, (byte) value);
            case 2 -> buf.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, (short) value);
            case 4 -> buf.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, (int) value);
            case 8 -> buf.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, value);
            default -> throw new IllegalArgumentException("access width must be 1, 2, 4 or 8, not " + width);
        }
        long r = device.kernel().pwrite(device.fd(), buf, width, pos);
        if (r != width) {
            throw accessFailure("write", offset, width, r);
        }
    }

    private static void checkWidth(int width) {
        if (width != 1 && width != 2 && width != 4 && width != 8) {
            throw new IllegalArgumentException("access width must be 1, 2, 4 or 8 bytes, not " + width);
        }
    }

    public final int read8(long offset) {
        return (int) read(offset, 1);
    }

    public final int read16(long offset) {
        return (int) read(offset, 2);
    }

    public final int read32(long offset) {
        return (int) read(offset, 4);
    }

    public final long read64(long offset) {
        return read(offset, 8);
    }

    public final void write8(long offset, int value) {
        write(offset, 1, value);
    }

    public final void write16(long offset, int value) {
        write(offset, 2, value);
    }

    public final void write32(long offset, int value) {
        write(offset, 4, Integer.toUnsignedLong(value));
    }

    public final void write64(long offset, long value) {
        write(offset, 8, value);
    }

    /** Reads {@code dst.byteSize()} bytes at {@code offset} into {@code dst} (a native segment) in one pread. */
    public void read(long offset, MemorySegment dst) {
        requireNative(dst);
        long pos = check(offset, dst.byteSize(), false);
        long r = device.kernel().pread(device.fd(), dst, dst.byteSize(), pos);
        if (r != dst.byteSize()) {
            throw accessFailure("read", offset, dst.byteSize(), r);
        }
    }

    /** Writes {@code src} (a native segment) at {@code offset} in one pwrite. */
    public void write(long offset, MemorySegment src) {
        requireNative(src);
        long pos = check(offset, src.byteSize(), true);
        long r = device.kernel().pwrite(device.fd(), src, src.byteSize(), pos);
        if (r != src.byteSize()) {
            throw accessFailure("write", offset, src.byteSize(), r);
        }
    }

    private static void requireNative(MemorySegment s) {
        if (!s.isNative()) {
            throw new IllegalArgumentException("bulk region access needs a native segment (allocate it from an "
                    + "Arena), not a heap segment");
        }
    }

    private VfioException accessFailure(String what, long offset, long width, long r) {
        String op = what + " of " + width + " bytes at " + Check.hex(offset) + " of " + this;
        return r < 0 ? new VfioException(op, (int) -r, -r == Errno.EIO ? "the device did not answer (is it in reset "
                + "or has memory decoding been disabled in its command register?)" : "")
                : VfioException.refused(op, "the kernel transferred " + r + " bytes");
    }

    /**
     * Maps {@code area} (one of {@code info().mmapAreas()}) and returns it as a segment owned by this region;
     * mapping the same area again returns the same segment.
     */
    public synchronized MemorySegment mmap(SparseArea area) {
        ensureOpen();
        if (!info.mmapAreas().contains(area)) {
            throw new IllegalArgumentException(area + " is not an mmap-able area of " + this + "; those are "
                    + info.mmapAreas());
        }
        MemorySegment seg = mapped.get(area);
        if (seg != null) {
            return seg;
        }
        int prot = (info.readable() ? Native.PROT_READ : 0) | (info.writable() ? Native.PROT_WRITE : 0);
        Kernel kernel = device.kernel();
        long addr = kernel.mmap(area.size(), prot, Native.MAP_SHARED, device.fd(), info.offset() + area.offset());
        if (Native.failed(addr)) {
            throw new VfioException("mmap of " + area + " of " + this, (int) -addr, "");
        }
        long len = area.size();
        seg = MemorySegment.ofAddress(addr).reinterpret(len, mappings, s -> kernel.munmap(addr, len));
        mapped.put(area, seg);
        return seg;
    }

    /** Maps every mmap-able area; empty when the region cannot be mmapped. */
    public List<MemorySegment> mmapAll() {
        List<MemorySegment> out = new ArrayList<>();
        for (SparseArea a : info.mmapAreas()) {
            out.add(mmap(a));
        }
        return out;
    }

    /** Unmaps every mapped area (their segments become unusable); the region stays usable. */
    public synchronized void unmapAll() {
        if (!mapped.isEmpty()) {
            mapped.clear();
            mappings.close();
            mappings = Arena.ofShared();
        }
    }

    /** Unmaps the mapped areas; idempotent. Called by the device's close. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            mapped.clear();
            mappings.close();
        }
    }

    @Override
    public String toString() {
        return "region " + info.index() + " of " + device.name();
    }
}
