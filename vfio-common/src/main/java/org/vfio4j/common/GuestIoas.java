package org.vfio4j.common;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.eclipse.jdt.annotation.Nullable;

/**
 * A guest's iommufd IOAS: devices assigned through their cdevs join it, and guest RAM is DMA-mapped in it once,
 * with IOVA = guest physical address, as {@link GuestContainer} does for devices that come through groups.
 *
 * <p>Why a member per device and no group: iommufd has no groups to share, so each device holds the IOAS on its
 * own; the first to join opens the IOAS and maps RAM (after the device is attached, so the valid ranges are the
 * device's), the last to leave unmaps RAM and frees the IOAS, so the host can take its devices back at once.
 * Permissions are the union the members asked for, on the same rules as the container's.
 *
 * {@snippet :
 * GuestIoas vfio = new GuestIoas(IommufdIoas::open, ram, 0x4000_0000L, GuestIoas.Listener.NONE);
 * try (GuestIoas.Member<VfioPciDevice> nic = vfio.open("0000:01:00.0", DmaPermission.READ_WRITE, VfioPciDevice::new)) {
 *     // nic.device() may DMA anywhere in guest RAM, and nowhere else
 * }
 * }
 */
public final class GuestIoas implements AutoCloseable {

    /** What the guest's owner does as devices come and go (register them with KVM-VFIO, tell the operator). */
    public interface Listener {
        /** Does nothing. */
        Listener NONE = new Listener() {
        };

        /** Guest RAM was DMA-mapped (first member, or a remap for a wider union), which took {@code took}. */
        default void ramMapped(IommufdIoas ioas, Set<DmaPermission> permissions, java.time.Duration took) {
        }

        /** {@code device} joined; a failure here undoes the join. */
        default void joined(VfioDevice device) {
        }

        /** {@code device} is about to leave; failures are the listener's to ignore. */
        default void leaving(VfioDevice device) {
        }

        /** RAM was unmapped and the IOAS freed: the host devices are free. */
        default void released() {
        }
    }

    /** One device in the IOAS; closing it closes the device, and the last member's close frees the IOAS. */
    public interface Member<D extends VfioDevice> extends AutoCloseable {
        /** The device, attached to the guest's IOAS. */
        D device();

        @Override
        void close();
    }

    /** How a device's fd is obtained once the IOAS exists. */
    @FunctionalInterface
    private interface Opening<D extends VfioDevice> {
        D open(IommufdIoas ioas);
    }

    private final Supplier<IommufdIoas> opener;
    private final GuestRamMapping ram;
    private final Listener listener;
    private final List<VfioDevice> members = new ArrayList<>();
    private @Nullable IommufdIoas ioas;

    /** An IOAS, made by {@code opener} on the first join, for guest RAM {@code ram} the guest sees at {@code ramBase}. */
    public GuestIoas(Supplier<IommufdIoas> opener, MemorySegment ram, long ramBase, Listener listener) {
        this.opener = opener;
        this.ram = new GuestRamMapping(ram, ramBase);
        this.listener = listener;
    }

    /** Opens device {@code name} through its cdev into the IOAS ({@link IommufdIoas#openDevice(String, DeviceFactory)}). */
    public <D extends VfioDevice> Member<D> open(String name, Set<DmaPermission> permissions, DeviceFactory<D> factory) {
        return join(permissions, i -> i.openDevice(name, factory));
    }

    /**
     * Joins the cdev fd {@code cdevFd} handed in ({@link IommufdIoas#adoptDevice(int, String, boolean, DeviceFactory)}),
     * which the device owns and closes from now on.
     */
    public <D extends VfioDevice> Member<D> adopt(int cdevFd, String name, boolean bound, Set<DmaPermission> permissions,
            DeviceFactory<D> factory) {
        return join(permissions, i -> i.adoptDevice(cdevFd, name, bound, factory));
    }

    private synchronized <D extends VfioDevice> Member<D> join(Set<DmaPermission> permissions, Opening<D> opening) {
        DmaPermission.mapFlags(permissions, false); // a permission set the kernel cannot express opens nothing
        IommufdIoas i = ioas;
        if (i == null) {
            i = opener.get();
            ioas = i;
        }
        try {
            D device = opening.open(i);
            try {
                long t0 = System.nanoTime();
                if (ram.grant(i, permissions)) {
                    listener.ramMapped(i, ram.granted(), java.time.Duration.ofNanos(System.nanoTime() - t0));
                }
                listener.joined(device);
            } catch (RuntimeException e) {
                device.close();
                throw e;
            }
            members.add(device);
            return member(device);
        } catch (RuntimeException e) {
            if (members.isEmpty()) {
                release();
            }
            throw e;
        }
    }

    private <D extends VfioDevice> Member<D> member(D device) {
        return new Member<>() {
            private boolean closed;

            @Override
            public D device() {
                return device;
            }

            @Override
            public void close() {
                synchronized (GuestIoas.this) {
                    if (!closed) {
                        closed = true;
                        leave(device);
                    }
                }
            }

            @Override
            public String toString() {
                return "member " + device.name() + " of " + GuestIoas.this;
            }
        };
    }

    private void leave(VfioDevice device) {
        members.remove(device);
        try {
            listener.leaving(device);
        } finally {
            if (members.isEmpty()) {
                release();
            } else {
                device.close();
            }
        }
    }

    /** Unmaps RAM, then frees the IOAS (closing the devices still in it). */
    private void release() {
        IommufdIoas i = ioas;
        ioas = null;
        members.clear();
        try {
            ram.release();
        } finally {
            if (i != null) {
                i.close();
                listener.released();
            }
        }
    }

    /** The permissions guest RAM is mapped with; empty before the first join. */
    public synchronized Set<DmaPermission> permissions() {
        return ram.granted();
    }

    /** The IOAS, while a device is in it. */
    public synchronized @Nullable IommufdIoas ioas() {
        return ioas;
    }

    /** Releases everything still held, as the last member's close would; idempotent. */
    @Override
    public synchronized void close() {
        if (ioas != null) {
            release();
        }
    }

    @Override
    public synchronized String toString() {
        IommufdIoas i = ioas;
        return "guest IOAS" + (i == null ? " (none yet)" : " " + i.ioasId()) + " with " + members.size() + " devices";
    }
}
