package org.vfio4j.pci;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Walks the device's standard and extended capability lists and relinks them around the ones the
 * model does not support.
 *
 * <p>Why: a capability the guest sees but the model cannot honour (SR-IOV, AER, ATS, VPD...) would
 * let the guest drive the device behind the host's back or rely on behaviour that is not there.
 * Unlinking, rather than exposing them broken, is what the issue asks: the next pointers of the
 * kept capabilities are emulated to skip the hidden ones, whose bytes then read as zero and ignore
 * writes. Walks are bounded and cycle-checked, so a malformed list ends rather than loops.
 */
final class CapabilityList {

    static final int PM = 0x01;
    static final int VENDOR = 0x09;
    static final int EXP = 0x10;
    /** Standard capabilities the model supports (power management, MSI, vendor, PCIe, MSI-X). */
    static final Set<Integer> KEPT = Set.of(PM, MsiCapability.ID, VENDOR, EXP, MsixCapability.ID);
    /** Extended capabilities passed read-only: device serial number, vendor-specific. */
    static final Set<Integer> KEPT_EXTENDED = Set.of(0x0003, 0x000B);

    private CapabilityList() {}

    /** Every capability of the device, in list order (standard first). */
    static List<Capability> walk(PciHost host, boolean msi, boolean msix) {
        List<Capability> caps = new ArrayList<>();
        if ((host.readConfig(0x06, 2) & 0x10) != 0) {
            walkStandard(host, caps, msi, msix);
        }
        if (host.configSize() > 0x100) {
            walkExtended(host, caps);
        }
        return List.copyOf(caps);
    }

    private static void walkStandard(PciHost host, List<Capability> caps, boolean msi, boolean msix) {
        List<int[]> found = new ArrayList<>();
        TreeSet<Integer> offsets = new TreeSet<>();
        int at = host.readConfig(0x34, 1) & 0xFC;
        while (at >= 0x40 && at < 0x100 && offsets.add(at)) {
            found.add(new int[] {host.readConfig(at, 1), at});
            at = host.readConfig(at + 1, 1) & 0xFC;
        }
        for (int[] f : found) {
            int id = f[0];
            int off = f[1];
            Integer next = offsets.higher(off);
            int room = (next == null ? 0x100 : next) - off;
            int length = Math.min(room, switch (id) {
                case PM -> 8;
                case MsiCapability.ID -> MsiCapability.length(host.readConfig(off + 2, 2));
                case MsixCapability.ID -> MsixCapability.LENGTH;
                case EXP -> 0x3C;
                case VENDOR -> Math.max(3, host.readConfig(off + 2, 1));
                default -> room;
            });
            boolean kept = KEPT.contains(id) && (id != MsiCapability.ID || msi) && (id != MsixCapability.ID || msix);
            caps.add(new Capability(id, off, length, false, kept));
        }
    }

    private static void walkExtended(PciHost host, List<Capability> caps) {
        List<int[]> found = new ArrayList<>();
        TreeSet<Integer> offsets = new TreeSet<>();
        int at = 0x100;
        while (at >= 0x100 && at < host.configSize() && offsets.add(at)) {
            int header = host.readConfig(at, 4);
            if (header == 0 || header == -1) {
                break;
            }
            found.add(new int[] {header & 0xFFFF, at});
            at = (header >>> 20) & 0xFFC;
        }
        for (int[] f : found) {
            Integer next = offsets.higher(f[1]);
            int length = (next == null ? host.configSize() : next) - f[1];
            if (f[0] == 0x0003) {
                length = Math.min(length, 12);
            }
            caps.add(new Capability(f[0], f[1], length, true, KEPT_EXTENDED.contains(f[0])));
        }
    }

    /** Declares masks and emulated next pointers so the guest walks only the kept capabilities. */
    static void relink(ConfigSpace config, List<Capability> caps) {
        ConfigMasks m = config.masks();
        List<Capability> standard = caps.stream().filter(c -> !c.extended()).toList();
        List<Capability> keptStd = standard.stream().filter(Capability::kept).toList();
        for (Capability c : standard) {
            if (!c.kept()) {
                m.emulateReadOnly(c.offset(), c.length());
                zero(config, c.offset(), c.length());
            }
        }
        m.emulateReadOnly(0x34, 1);
        config.setEmulated(0x34, 1, keptStd.isEmpty() ? 0 : keptStd.getFirst().offset());
        for (int i = 0; i < keptStd.size(); i++) {
            Capability c = keptStd.get(i);
            m.emulateReadOnly(c.offset() + 1, 1);
            config.setEmulated(c.offset() + 1, 1, i + 1 < keptStd.size() ? keptStd.get(i + 1).offset() : 0);
        }
        if (keptStd.isEmpty()) {
            m.define(0x06, 2, 0x0010, 0xF900, 0xF900);
            config.setEmulated(0x06, 2, 0);
        }
        List<Capability> extended = caps.stream().filter(Capability::extended).toList();
        List<Capability> keptExt = extended.stream().filter(Capability::kept).toList();
        for (Capability c : extended) {
            if (!c.kept()) {
                m.emulateReadOnly(c.offset(), c.length());
                zero(config, c.offset(), c.length());
            }
        }
        for (int i = 0; i < keptExt.size(); i++) {
            Capability c = keptExt.get(i);
            int next = i + 1 < keptExt.size() ? keptExt.get(i + 1).offset() : 0;
            m.emulateReadOnly(c.offset(), 4);
            long header = config.hostValue(c.offset(), 4) & 0x000F_FFFFL;
            config.setEmulated(c.offset(), 4, header | (long) next << 20);
        }
        boolean firstHidden = !extended.isEmpty() && !extended.getFirst().kept();
        if (firstHidden) {
            // The list must start at 0x100: an empty header (id 0) that only points on.
            m.emulateReadOnly(0x100, 4);
            config.setEmulated(0x100, 4, keptExt.isEmpty() ? 0 : (long) keptExt.getFirst().offset() << 20);
        }
    }

    private static void zero(ConfigSpace config, int offset, int length) {
        for (int i = 0; i < length; i++) {
            config.setEmulated(offset + i, 1, 0);
        }
    }

    /** Declares the writable bits of the kept power-management and PCI Express capabilities. */
    static void defineBodies(ConfigSpace config, List<Capability> caps) {
        ConfigMasks m = config.masks();
        for (Capability c : caps) {
            if (!c.kept() || c.extended()) {
                continue;
            }
            if (c.id() == PM && c.length() >= 8) {
                // PMCSR: power state and PME enable pass through; PME status is write-1-to-clear.
                m.define(c.offset() + 4, 2, 0, 0x8103, 0x8000);
            } else if (c.id() == EXP && c.length() >= 0x14) {
                // Device control minus Initiate FLR (bit 15: the model performs the reset, and it reads 0).
                m.define(c.offset() + 8, 2, 0x8000, 0x7FFF);
                config.setEmulated(c.offset() + 8, 2, 0);
                // Device status error bits are write-1-to-clear.
                m.define(c.offset() + 0x0A, 2, 0, 0x000F, 0x000F);
                // Link control: ASPM, common clock, extended synch, clock PM; never link disable/retrain.
                m.define(c.offset() + 0x10, 2, 0, 0x01C3);
            }
        }
    }
}
