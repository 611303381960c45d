package org.vfio4j.virt.pci;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.DmaMapping;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.virt.device.RunningGuest;

import jakarta.inject.Inject;

/**
 * The one VFIO container of a running machine: every assigned group joins it, guest RAM is DMA-mapped in it
 * once with IOVA = guest physical address (the guest has no vIOMMU, so the addresses its drivers program are
 * guest physical), and each group is registered with the VM's KVM-VFIO device.
 *
 * <p>Why shared and reference counted: one IOMMU address space means RAM is pinned and mapped once however
 * many devices are assigned, and the kernel replays the mapping into each group that joins later. The first
 * {@link #join} opens the container and maps RAM right after the first group set the IOMMU backend; the last
 * {@link Membership#close()} unmaps RAM and closes the container, so the groups are free again at once.
 *
 * <p>The DMA mapping is tied to an arena of its own over the RAM's address (a view, not a copy), closed with
 * the mapping; guest RAM itself is freed by the runner only after every device has been released.
 */
public final class SharedContainer {
    private @Nullable VfioContainer container;
    private @Nullable Arena ramView;
    private @Nullable DmaMapping ramMapping;
    private final Map<Integer, GroupUse> groups = new HashMap<>();

    private static final class GroupUse {
        final VfioGroup group;
        int users;

        GroupUse(VfioGroup group) {
            this.group = group;
        }
    }

    @Inject
    SharedContainer() {
    }

    /** One device's hold on its group (and so on the container). */
    interface Membership extends AutoCloseable {
        VfioGroup group();

        @Override
        void close();
    }

    /**
     * Attaches group {@code number} (if no other device did), maps guest RAM (if not yet), registers the
     * group with KVM-VFIO.
     *
     * @throws VfioException from the kernel, with its advice
     */
    synchronized Membership join(int number, RunningGuest guest) {
        VfioContainer c = container;
        boolean opened = c == null;
        if (c == null) {
            c = VfioContainer.open();
            container = c;
        }
        try {
            GroupUse use = groups.get(number);
            if (use == null) {
                VfioGroup g = c.attach(number);
                try {
                    if (ramMapping == null) {
                        mapRam(c, guest);
                        guest.report("virt: VFIO container (" + c.iommuType().map(Object::toString).orElse("?")
                                + "): guest RAM " + guest.ramRange() + " DMA-mapped at IOVA = guest physical address");
                    }
                    guest.kvmVfio().add(g);
                    guest.report("virt: IOMMU group " + number + " in the container, registered with KVM-VFIO");
                } catch (RuntimeException e) {
                    g.close();
                    throw e;
                }
                use = new GroupUse(g);
                groups.put(number, use);
            }
            use.users++;
            GroupUse u = use;
            return new Membership() {
                private boolean closed;

                @Override
                public VfioGroup group() {
                    return u.group;
                }

                @Override
                public void close() {
                    synchronized (SharedContainer.this) {
                        if (!closed) {
                            closed = true;
                            leave(number, u, guest);
                        }
                    }
                }
            };
        } catch (RuntimeException e) {
            if (opened && groups.isEmpty()) {
                release();
            }
            throw e;
        }
    }

    private void mapRam(VfioContainer c, RunningGuest guest) {
        MemorySegment ram = guest.ram();
        Arena view = Arena.ofShared();
        try {
            MemorySegment seg = MemorySegment.ofAddress(ram.address()).reinterpret(ram.byteSize(), view, null);
            ramMapping = c.map(view, seg, guest.ramRange().base(), DmaPermission.READ_WRITE);
            ramView = view;
        } catch (RuntimeException e) {
            view.close();
            throw e;
        }
    }

    private void leave(int number, GroupUse u, RunningGuest guest) {
        if (--u.users > 0) {
            return;
        }
        groups.remove(number);
        try {
            guest.kvmVfio().remove(u.group);
        } catch (RuntimeException e) {
            // the KVM-VFIO device is already gone; the kernel dropped the group with it
        }
        if (groups.isEmpty()) {
            release();
            guest.report("virt: guest RAM DMA-unmapped, VFIO container closed: the host devices are free");
        } else {
            u.group.close();
        }
    }

    /** Unmaps RAM, then closes the container (and with it the last group). */
    private void release() {
        DmaMapping m = ramMapping;
        Arena view = ramView;
        VfioContainer c = container;
        ramMapping = null;
        ramView = null;
        container = null;
        if (m != null) {
            m.close();
        }
        if (view != null) {
            view.close();
        }
        if (c != null) {
            c.close();
        }
    }
}
