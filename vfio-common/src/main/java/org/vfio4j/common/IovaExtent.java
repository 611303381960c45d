package org.vfio4j.common;

/** Something that occupies {@code [iova, iova + size)} of a container's I/O address space. */
public interface IovaExtent {
    /** The first I/O virtual address. */
    long iova();

    /** The length in bytes. */
    long size();
}
