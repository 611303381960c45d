package org.vfio4j.common;

/**
 * An mmap-able window of a region ({@code struct vfio_region_sparse_mmap_area}), relative to the region start.
 *
 * @param offset offset within the region
 * @param size   length in bytes
 */
public record SparseArea(long offset, long size) {
    /** True when {@code [off, off + len)} lies inside this area. */
    public boolean contains(long off, long len) {
        return off >= offset && off + len <= offset + size;
    }
}
