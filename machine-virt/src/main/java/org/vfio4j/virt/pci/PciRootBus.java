package org.vfio4j.virt.pci;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * 00:01.0, as it does on QEMU; {@code addr=SLOT.FN} places a device, several functions sharing a device
 * number behind a {@code multifunction=on} function 0. The ECAM dispatch reads a lock-free array indexed by
 * devfn, so a vCPU never waits on it.
 *
 * <p>Buses behind root ports are reached through the ports present ({@link #attachBridge}): an access to bus N
 * goes to the port whose secondary bus the guest numbered N. Root ports are registered by id as they are created,
 * so a later {@code -device ...,bus=ID} or {@code device_add} finds the slot it names.
 */
public final class PciRootBus {
    /** Device numbers on a bus. */
    public static final int SLOTS = 32;
    /** Functions per device number. */
    public static final int FUNCTIONS = 8;
    /** The first device number handed out. */
    static final int FIRST_SLOT = 1;

    /** Indexed by devfn (device number << 3 | function). */
    private final AtomicReferenceArray<@Nullable PciFunction> present = new AtomicReferenceArray<>(SLOTS * FUNCTIONS);
    private final Map<Integer, String> owners = new HashMap<>();
    /** Device numbers whose function 0 was claimed with {@code multifunction=on}. */
    private final Set<Integer> multifunction = new HashSet<>();
    private final Ecam ecam = new Ecam(this);
    private final List<PcieRootPort> bridges = new CopyOnWriteArrayList<>();
    private final Map<String, PcieRootPort> ports = new HashMap<>();

    /**
     * One function present on the bus: its address, the id of the device that claimed it, the function, and for a
     * root port the port (whose secondary bus and slot QMP's {@code query-pci} shows).
     */
    public record Present(int slot, int fn, String id, PciFunction function, @Nullable PcieRootPort port) {
    }

    @Inject
    public PciRootBus() {
    }

    /** Gives device {@code id} function 0 of the first device number nothing is claimed at. */
    public int claimSlot(String id) throws DeviceException {
        return claim(id, -1, 0, false) >>> 3;
    }

    /**
     * Claims function {@code fn} of device number {@code slot} (-1: the first free one) for device {@code id} and
     * returns its devfn, with QEMU's rules: function 0 says whether the slot is multi-function, and functions
     * above 0 need function 0 claimed first with {@code multifunction=on}. Device 0 is the host bridge's.
     */
    public synchronized int claim(String id, int slot, int fn, boolean multi) throws DeviceException {
        if (slot < 0) {
            for (int s = FIRST_SLOT; s < SLOTS; s++) {
                if (slotFree(s)) {
                    return take(id, s, fn, multi);
                }
            }
            throw new DeviceException(id + ": the PCIe root bus is full (" + (SLOTS - FIRST_SLOT)
                    + " devices); assign fewer PCI devices");
        }
        String at = String.format("addr=%02x.%x", slot, fn);
        if (slot == 0) {
            throw new DeviceException(id + ": " + at + ": device 0 is the host bridge's, as on QEMU's virt; use 01 to 1f");
        }
        String owner = owners.get(slot << 3 | fn);
        if (owner != null) {
            throw new DeviceException(id + ": " + at + " is already taken by " + owner + "; choose another addr");
        }
        if (fn > 0 && !owners.containsKey(slot << 3)) {
            throw new DeviceException(id + ": " + at + ": function 0 of device " + String.format("%02x", slot)
                    + " must come first, with multifunction=on (the guest looks for further functions only then)");
        }
        if (fn > 0 && !multifunction.contains(slot)) {
            throw new DeviceException(id + ": " + at + ": " + owners.get(slot << 3) + " at function 0 is a single "
                    + "function device; give it multifunction=on");
        }
        if (fn == 0 && !multi && !slotFree(slot)) {
            throw new DeviceException(id + ": " + at + ": other functions of device " + String.format("%02x", slot)
                    + " are claimed, so function 0 needs multifunction=on");
        }
        return take(id, slot, fn, multi);
    }

    private boolean slotFree(int slot) {
        for (int f = 0; f < FUNCTIONS; f++) {
            if (owners.containsKey(slot << 3 | f)) {
                return false;
            }
        }
        return true;
    }

    private int take(String id, int slot, int fn, boolean multi) {
        int devfn = slot << 3 | fn;
        owners.put(devfn, id);
        if (fn == 0 && multi) {
            multifunction.add(slot);
        }
        return devfn;
    }

    /** The PCI requester ID (bus 0) of function 0 at {@code slot}: what the ITS sees as the device ID. */
    public static int requesterId(int slot) {
        return slot << 3;
    }

    /** The ECAM window's device: configuration space of bus 0's functions, all ones elsewhere. */
    public Ecam ecam() {
        return ecam;
    }

    /** A function present at function 0 of {@code slot} until the returned handle is closed. */
    public AutoCloseable attach(int slot, PciFunction function) {
        return attachDevfn(slot << 3, function);
    }

    /** A function present at {@code devfn} (device number << 3 | function) until the returned handle is closed. */
    public AutoCloseable attachDevfn(int devfn, PciFunction function) {
        synchronized (this) {
            if (!owners.containsKey(devfn)) {
                throw new IllegalArgumentException(String.format("00:%02x.%x was not claimed", devfn >>> 3, devfn & 7));
            }
        }
        if (!present.compareAndSet(devfn, null, function)) {
            throw new IllegalStateException(String.format("a function is already present at 00:%02x.%x", devfn >>> 3,
                    devfn & 7));
        }
        return () -> present.compareAndSet(devfn, function, null);
    }

    /** The functions present now, by device number and function (what QMP's {@code query-pci} lists). */
    public synchronized List<Present> present() {
        List<Present> out = new ArrayList<>();
        for (int devfn = 0; devfn < SLOTS * FUNCTIONS; devfn++) {
            PciFunction f = present.get(devfn);
            if (f != null) {
                String owner = owners.getOrDefault(devfn, "");
                out.add(new Present(devfn >>> 3, devfn & 7, owner, f, ports.get(owner)));
            }
        }
        return out;
    }

    /** Registers root port {@code port} under its id, refusing a second port with the same chassis and slot. */
    synchronized void registerPort(PcieRootPort port) throws DeviceException {
        for (PcieRootPort p : ports.values()) {
            if (p.chassis() == port.chassis() && p.slot() == port.slot()) {
                throw new DeviceException(port.id() + ": chassis=" + port.chassis() + ",slot=" + port.slot()
                        + " is already " + p.id() + "'s; give each pcie-root-port its own slot number");
            }
        }
        ports.put(port.id(), port);
    }

    /** The root port with id {@code id}, or null. */
    public synchronized @Nullable PcieRootPort rootPort(String id) {
        return ports.get(id);
    }

    /** The ids of the root ports, for a message naming them. */
    public synchronized Set<String> rootPortIds() {
        return new java.util.TreeSet<>(ports.keySet());
    }

    /** Makes the buses behind {@code port} reachable through ECAM until the returned handle is closed. */
    AutoCloseable attachBridge(PcieRootPort port) {
        bridges.add(port);
        return () -> bridges.remove(port);
    }

    /** The function an ECAM offset addresses, or null when none answers there. */
    @Nullable PciFunction function(long ecamOffset) {
        int bus = (int) (ecamOffset >>> 20);
        int devfn = (int) (ecamOffset >>> 12) & 0xff;
        if (bus == 0) {
            return present.get(devfn);
        }
        for (PcieRootPort p : bridges) {
            PciFunction f = p.downstream(bus, devfn);
            if (f != null) {
                return f;
            }
        }
        return null;
    }
}
