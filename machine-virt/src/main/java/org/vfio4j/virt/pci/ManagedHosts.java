package org.vfio4j.virt.pci;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.vfio4j.common.HostBinding;
import org.vfio4j.common.VfioException;
import org.vfio4j.virt.device.DeviceException;

/**
 * The host devices {@code -device vfio-pci,...,x-managed=on} moved to vfio-pci at start, given back to their
 * drivers when the VMM ends, as libvirt does for a managed hostdev.
 *
 * <p>Why a shutdown hook besides the normal path: a SIGTERM ends the JVM through its hooks, and the devices
 * must go back then too. The hook waits (at most 15 s) until the run has closed its device fds, since vfio-pci
 * cannot let go of a device a process still holds; a guest panic or reset ends the run by the normal path.
 * A SIGKILL leaves them on vfio-pci: {@code ./vfio4j unbind DEVICE} restores them from the record
 * {@link HostBinding} kept.
 */
public final class ManagedHosts {
    private final HostBinding binding;
    private final List<String> bound = new ArrayList<>();
    private final CountDownLatch devicesClosed = new CountDownLatch(1);
    private PrintStream messages = System.err;
    private boolean hooked;

    /** For the running host. */
    public static ManagedHosts system() {
        return new ManagedHosts(HostBinding.system());
    }

    ManagedHosts(HostBinding binding) {
        this.binding = binding;
    }

    /** Binds {@code bdf}'s IOMMU group to vfio-pci for device {@code id}, to be restored at exit. */
    synchronized void bind(String id, String bdf) throws DeviceException {
        List<HostBinding.Change> changes;
        try {
            changes = binding.bind(bdf, false);
        } catch (VfioException e) {
            throw new DeviceException(id + ": x-managed=on: " + e.getMessage(), e);
        }
        if (changes.isEmpty()) {
            return; // already on vfio-pci before this VMM: not this VMM's to give back
        }
        bound.add(bdf);
        for (HostBinding.Change c : changes) {
            messages.println("virt: " + id + ": x-managed: " + c.device() + " " + name(c.from()) + " -> " + c.to());
        }
        if (!hooked) {
            hooked = true;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    devicesClosed.await(15, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                restore();
            }, "virt-managed-restore"));
        }
    }

    /** Where the steps are reported (the VMM's message stream). */
    public synchronized void report(PrintStream err) {
        this.messages = err;
    }

    /** The run has closed every device fd: the shutdown hook need wait no longer. */
    public void devicesClosed() {
        devicesClosed.countDown();
    }

    /** Gives every group bound by {@link #bind} back to its drivers, last bound first; idempotent. */
    public synchronized void restore() {
        for (int i = bound.size() - 1; i >= 0; i--) {
            String bdf = bound.remove(i);
            try {
                for (HostBinding.Change c : binding.unbind(bdf)) {
                    messages.println("virt: x-managed: " + c.device() + " " + c.from() + " -> " + name(c.to()));
                }
            } catch (VfioException e) {
                messages.println("virt: x-managed: giving " + bdf + " back failed: " + e.getMessage()
                        + "; ./vfio4j unbind " + bdf + " retries");
            }
        }
    }

    private static String name(String driver) {
        return driver.isEmpty() ? "(no driver)" : driver;
    }
}
