package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The one VFIO container of a guest without a vIOMMU: every assigned group behind an IOMMU joins it, PCI and
 * platform devices alike, and guest RAM is DMA-mapped in it once, with IOVA = guest physical address (the
 * addresses the guest's drivers program).
 *
 * <p>Why one container and reference counts: one IOMMU address space means RAM is pinned and mapped once
 * however many devices are assigned (the kernel replays the mapping into each group that joins later), two
 * devices of one group share the group, and the last device out unmaps RAM and closes the container, so the
 * host can take its devices back at once.
 *
 * <p>Permissions: the mapping carries the union of what the joined devices asked for. A device type that
 * fetches code or descriptors as instructions asks for {@link DmaPermission#EXEC} (the Calxeda xgmac does);
 * on Type1 that is the kernel's default for every mapping, so it adds no flag and no remap (see
 * {@link DmaPermission}). A union the kernel cannot express (EXEC with NO_EXEC) refuses the join that asked
 * for it; a union that needs other flags remaps RAM, which leaves the devices already running without
 * mappings for the length of two ioctls.
 *
 * <p>The RAM itself belongs to the caller, who frees it only after this container is closed.
 *
 * {@snippet :
 * GuestContainer vfio = new GuestContainer(VfioContainer::open, ram, 0x4000_0000L, GuestContainer.Listener.NONE);
 * try (GuestContainer.Membership nic = vfio.join(12, DmaPermission.READ_WRITE);
 *      VfioDevice dev = nic.group().openDevice("0000:01:00.0")) {
 *     // the device may DMA anywhere in guest RAM, and nowhere else
 * }
 * }
 */
public final class GuestContainer implements AutoCloseable {

    /** What the guest's owner does as groups come and go (register them with KVM-VFIO, tell the operator). */
    public interface Listener {
        /** Does nothing. */
        Listener NONE = new Listener() {
        };

        /** Guest RAM was DMA-mapped (first join, or a remap for a wider union), which took {@code took}. */
        default void ramMapped(IommuType backend, Set<DmaPermission> permissions, java.time.Duration took) {
        }

        /** Group {@code group} joined; a failure here undoes the join. */
        default void joined(VfioGroup group) {
        }

        /** Group {@code group} is about to leave; failures are the listener's to ignore. */
        default void leaving(VfioGroup group) {
        }

        /** RAM was unmapped and the container closed: the host devices are free. */
        default void released() {
        }
    }

    /** One device's hold on its group, and so on the container and the RAM mapping. */
    public interface Membership extends AutoCloseable {
        /** The group, attached to the shared container. */
        VfioGroup group();

        /** Lets go; the last membership of a group takes it out, the last of all closes the container. */
        @Override
        void close();
    }

    private static final class GroupUse {
        final VfioGroup group;
        int users;

        GroupUse(VfioGroup group) {
            this.group = group;
        }
    }

    private final Supplier<VfioContainer> opener;
    private final Supplier<VfioContainer> noIommuOpener;
    private final GuestRamMapping ram;
    private final Listener listener;
    private final Map<Integer, GroupUse> groups = new HashMap<>();
    private @Nullable VfioContainer container;

    /**
     * A container, opened by {@code opener} on the first {@link #join}, for the guest RAM {@code ram} that the
     * guest sees at {@code ramBase}.
     */
    public GuestContainer(Supplier<VfioContainer> opener, MemorySegment ram, long ramBase, Listener listener) {
        this(opener, VfioContainer::openUnsafeNoIommu, ram, ramBase, listener);
    }

    /** As above, with {@code noIommuOpener} for {@link #openNoIommu()}. */
    public GuestContainer(Supplier<VfioContainer> opener, Supplier<VfioContainer> noIommuOpener, MemorySegment ram,
            long ramBase, Listener listener) {
        this.opener = opener;
        this.noIommuOpener = noIommuOpener;
        this.ram = new GuestRamMapping(ram, ramBase);
        this.listener = listener;
    }

    /**
     * Attaches group {@code number} (unless a device of it already did), maps guest RAM with {@code permissions}
     * added to what it has, and tells the listener.
     *
     * @throws VfioException from the kernel, with its advice; nothing of this join is left behind
     */
    public synchronized Membership join(int number, Set<DmaPermission> permissions) {
        VfioContainer c = container;
        if (c == null) {
            c = opener.get();
            container = c;
        }
        try {
            GroupUse use = groups.get(number);
            if (use == null) {
                VfioGroup g = c.attach(number);
                try {
                    grant(c, permissions);
                    listener.joined(g);
                } catch (RuntimeException e) {
                    g.close();
                    throw e;
                }
                use = new GroupUse(g);
                groups.put(number, use);
            } else {
                grant(c, permissions);
            }
            use.users++;
            return membership(number, use);
        } catch (RuntimeException e) {
            if (groups.isEmpty()) {
                release();
            }
            throw e;
        }
    }

    private Membership membership(int number, GroupUse use) {
        return new Membership() {
            private boolean closed;

            @Override
            public VfioGroup group() {
                return use.group;
            }

            @Override
            public void close() {
                synchronized (GuestContainer.this) {
                    if (!closed) {
                        closed = true;
                        leave(number, use);
                    }
                }
            }

            @Override
            public String toString() {
                return "membership of " + use.group;
            }
        };
    }

    /** Maps RAM if not yet, or remaps it when the union of permissions needs other kernel flags. */
    private void grant(VfioContainer c, Set<DmaPermission> asked) {
        long t0 = System.nanoTime();
        if (ram.grant(c, asked)) {
            listener.ramMapped(c.iommuType().orElseThrow(), ram.granted(),
                    java.time.Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    private void leave(int number, GroupUse use) {
        if (--use.users > 0) {
            return;
        }
        groups.remove(number);
        try {
            listener.leaving(use.group);
        } finally {
            if (groups.isEmpty()) {
                release();
            } else {
                use.group.close();
            }
        }
    }

    /** Unmaps RAM, then closes the container (and with it the groups still in it). */
    private void release() {
        VfioContainer c = container;
        container = null;
        groups.clear();
        try {
            ram.release();
        } finally {
            if (c != null) {
                c.close();
                listener.released();
            }
        }
    }

    /**
     * A container of its own for a group in no-IOMMU mode, on the same kernel: nothing isolates such a device,
     * so it shares no address space and gets no RAM mapping; the caller closes it.
     */
    public VfioContainer openNoIommu() {
        return noIommuOpener.get();
    }

    /** The permissions guest RAM is mapped with; empty before the first join. */
    public synchronized Set<DmaPermission> permissions() {
        return ram.granted();
    }

    /** The container, while a group is in it. */
    public synchronized @Nullable VfioContainer container() {
        return container;
    }

    /** Releases everything still held, as the last membership's close would; idempotent. */
    @Override
    public synchronized void close() {
        if (container != null) {
            release();
        }
    }

    @Override
    public synchronized String toString() {
        return "guest VFIO container with groups " + groups.keySet();
    }
}
