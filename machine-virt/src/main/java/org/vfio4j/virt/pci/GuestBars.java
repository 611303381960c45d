package org.vfio4j.virt.pci;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.RateLimitedLog;
import org.vfio4j.pci.BarSpace;
import org.vfio4j.pci.PciBarMapper;
import org.vfio4j.pci.TrapHandler;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.board.PcieHost;
import org.vfio4j.virt.device.RunningGuest;
import org.vfio4j.virt.emu.MmioDevice;

/**
 * vfio-pci's BAR seam on the running machine: mmappable BAR parts become KVM memory slots (guest accesses
 * need no exit), trapped parts (MSI-X table and PBA, I/O BARs, everything under {@code x-no-mmap}) windows on
 * the MMIO bus; I/O ports are seen by the CPUs in the host bridge's PIO window.
 *
 * <p>Why addresses outside the host bridge's windows map nothing: a guest may program any value into a BAR
 * (sizing writes all ones, a careless driver overlaps RAM); the bridge only forwards its windows, so such a
 * BAR decodes nothing, as on hardware, instead of colliding with RAM or another device. The same for a BAR
 * placed over another one: reported and not mapped. Every line it prints, the successful maps included, goes
 * through one {@link RateLimitedLog}: the guest decides how often a BAR moves.
 */
final class GuestBars implements PciBarMapper {
    private static final Mapping NOTHING = () -> { };

    private final String id;
    private final RunningGuest guest;
    private final PcieHost host;
    private final RateLimitedLog messages;

    GuestBars(String id, RunningGuest guest, PcieHost host, Consumer<String> messages) {
        this(id, guest, host, RateLimitedLog.standard(messages));
    }

    GuestBars(String id, RunningGuest guest, PcieHost host, RateLimitedLog messages) {
        this.id = id;
        this.guest = guest;
        this.host = host;
        this.messages = messages;
    }

    @Override
    public Mapping mapDirect(long guestAddress, MemorySegment memory) {
        MmioRange r = host.memoryWindow(guestAddress, memory.byteSize());
        if (r == null) {
            return outside("memory", guestAddress, memory.byteSize());
        }
        try {
            RunningGuest.Attachment a = guest.mapMemory(id + " BAR", r.base(), memory);
            messages.report(() -> String.format("virt: %s: BAR area 0x%x+0x%x mapped into the guest (memory slot)", id,
                    r.base(), r.size()));
            return a::close;
        } catch (RuntimeException e) {
            messages.report(() -> "virt: " + id + ": BAR area " + r + " not mapped: " + e.getMessage());
            return NOTHING;
        }
    }

    @Override
    public Mapping mapTrapped(BarSpace space, long guestAddress, long size, TrapHandler handler) {
        @Nullable MmioRange r = space == BarSpace.IO ? host.ioWindow(guestAddress, size) : host.memoryWindow(guestAddress, size);
        if (r == null) {
            return outside(space == BarSpace.IO ? "I/O" : "memory", guestAddress, size);
        }
        try {
            RunningGuest.Attachment a = guest.trap(id + (space == BarSpace.IO ? " I/O BAR" : " BAR (trapped)"), r,
                    new MmioDevice() {
                        @Override
                        public long read(long offset, int width) {
                            return handler.read(offset, width);
                        }

                        @Override
                        public void write(long offset, int width, long value) {
                            handler.write(offset, width, value);
                        }
                    });
            messages.report(() -> String.format("virt: %s: %s 0x%x+0x%x trapped", id, space == BarSpace.IO
                    ? "I/O BAR at port 0x" + Long.toHexString(guestAddress) + ", CPU address" : "BAR area", r.base(),
                    r.size()));
            return a::close;
        } catch (RuntimeException e) {
            messages.report(() -> "virt: " + id + ": BAR area " + r + " not trapped: " + e.getMessage());
            return NOTHING;
        }
    }

    private Mapping outside(String space, long address, long size) {
        messages.report(() -> String.format("virt: %s: %s BAR at 0x%x+0x%x is outside the PCIe host's windows; "
                + "it decodes nothing", id, space, address, size));
        return NOTHING;
    }
}
