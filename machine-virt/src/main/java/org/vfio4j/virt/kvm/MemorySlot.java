package org.vfio4j.virt.kvm;

import java.lang.foreign.MemorySegment;

/**
 * A KVM memory slot: guest physical range {@code [guestAddress, guestAddress + size)} backed by
 * {@code backing}, process memory the guest reads and writes directly (no exit per access).
 *
 * <p>Why an object: the kernel keeps a pointer into {@code backing}, so the segment's arena must outlive
 * the slot; the slot holds the segment, refuses a segment whose scope is already closed, and is removed
 * (KVM_SET_USER_MEMORY_REGION with size 0) on {@link #close()} — close it before closing the arena.
 * Used for guest RAM, mmapped BARs and platform-device regions.
 */
public final class MemorySlot implements AutoCloseable {
    private final KvmVm vm;
    private final int slot;
    private final long guestAddress;
    private final MemorySegment backing;
    private final boolean readOnly;
    private boolean closed;

    MemorySlot(KvmVm vm, int slot, long guestAddress, MemorySegment backing, boolean readOnly) {
        this.vm = vm;
        this.slot = slot;
        this.guestAddress = guestAddress;
        this.backing = backing;
        this.readOnly = readOnly;
    }

    /** The slot number. */
    public int slot() {
        return slot;
    }

    /** Guest physical base. */
    public long guestAddress() {
        return guestAddress;
    }

    /** Bytes. */
    public long size() {
        return backing.byteSize();
    }

    /** The process memory behind the slot. */
    public MemorySegment backing() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        return backing;
    }

    /** Whether guest writes exit as MMIO instead of landing in memory. */
    public boolean readOnly() {
        return readOnly;
    }

    /** Removes the slot from the VM (the memory itself belongs to the caller's arena). */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            vm.removeSlot(this);
        }
    }

    @Override
    public String toString() {
        return String.format("memory slot %d at 0x%x+0x%x", slot, guestAddress, backing.byteSize());
    }
}
