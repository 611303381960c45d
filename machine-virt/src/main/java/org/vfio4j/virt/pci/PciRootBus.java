package org.vfio4j.virt.pci;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.device.DeviceException;

import jakarta.inject.Inject;

/**
 * Bus 0 of the machine's PCIe host: which device number each PCI function got, and the functions present
 * while a guest runs, as the {@link Ecam} window sees them.
 *
 * <p>Why slots are handed out when devices are created and functions attached only when they start: the
 * device number is part of the machine's layout (the requester ID the ITS sees, the INTx swizzle) and must
 * be known, in command-line order, before anything runs; the function itself exists only while its host
 * device is open. Device 0 is left empty (QEMU's virt has its host bridge there), so the first device gets
 * 00:01.0, as it does on QEMU. The ECAM dispatch reads a lock-free array, so a vCPU never waits on it.
 */
public final class PciRootBus {
    /** Device numbers on a bus. */
    public static final int SLOTS = 32;
    /** The first device number handed out. */
    static final int FIRST_SLOT = 1;

    private final AtomicReferenceArray<@Nullable PciFunction> present = new AtomicReferenceArray<>(SLOTS);
    private final Map<Integer, String> owners = new HashMap<>();
    private final Ecam ecam = new Ecam(this);

    /** One function present on the bus: its device number, the id of the device that claimed it, the function. */
    public record Present(int slot, String id, PciFunction function) {
    }

    @Inject
    public PciRootBus() {
    }

    /** Gives device {@code id} the first free device number on bus 0. */
    public synchronized int claimSlot(String id) throws DeviceException {
        for (int s = FIRST_SLOT; s < SLOTS; s++) {
            if (!owners.containsKey(s)) {
                owners.put(s, id);
                return s;
            }
        }
        throw new DeviceException(id + ": the PCIe root bus is full (" + (SLOTS - FIRST_SLOT)
                + " devices); assign fewer PCI devices");
    }

    /** The PCI requester ID (bus 0) of function 0 at {@code slot}: what the ITS sees as the device ID. */
    public static int requesterId(int slot) {
        return slot << 3;
    }

    /** The ECAM window's device: configuration space of bus 0's functions, all ones elsewhere. */
    public Ecam ecam() {
        return ecam;
    }

    /** A function present at {@code slot} until the returned handle is closed. */
    public AutoCloseable attach(int slot, PciFunction function) {
        synchronized (this) {
            if (!owners.containsKey(slot)) {
                throw new IllegalArgumentException("slot " + slot + " was not claimed");
            }
        }
        if (!present.compareAndSet(slot, null, function)) {
            throw new IllegalStateException("a function is already present at slot " + slot);
        }
        return () -> present.compareAndSet(slot, function, null);
    }

    /** The functions present now, by device number (what QMP's {@code query-pci} lists). */
    public synchronized List<Present> present() {
        List<Present> out = new ArrayList<>();
        for (int s = 0; s < SLOTS; s++) {
            PciFunction f = present.get(s);
            if (f != null) {
                out.add(new Present(s, owners.getOrDefault(s, ""), f));
            }
        }
        return out;
    }

    /** The function an ECAM offset addresses, or null when none answers there. */
    @Nullable PciFunction function(long ecamOffset) {
        long bus = ecamOffset >>> 20;
        int device = (int) (ecamOffset >>> 15) & 0x1f;
        int function = (int) (ecamOffset >>> 12) & 7;
        return bus == 0 && function == 0 ? present.get(device) : null;
    }
}
