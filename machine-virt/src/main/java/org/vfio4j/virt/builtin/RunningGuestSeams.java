package org.vfio4j.virt.builtin;

import java.lang.foreign.MemorySegment;

import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.platform.GuestLines;
import org.vfio4j.platform.GuestMmio;
import org.vfio4j.platform.MmioHandler;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.device.RunningGuest;
import org.vfio4j.virt.emu.MmioDevice;

/**
 * vfio-platform's machine seams ({@link GuestMmio}, {@link GuestLines}) over the runner's {@link RunningGuest},
 * counting every time the device costs the VMM a wake-up: a trapped access (an MMIO exit served in user space)
 * or a guest line driven from user space (the unmask fallback).
 *
 * <p>Why count here: this is the one place all of a device's user-space work passes through, so the counts
 * are what "the VMM was not woken per interrupt" means — with mapped regions and irqfd + resample both stay
 * 0 however many interrupts the guest takes. {@code GuestInterrupt.Line} numbers are SPIs, as for the router.
 */
final class RunningGuestSeams implements GuestMmio, GuestLines {
    private final RunningGuest guest;
    private final PassthroughActivity activity;

    RunningGuestSeams(RunningGuest guest, PassthroughActivity activity) {
        this.guest = guest;
        this.activity = activity;
    }

    @Override
    public MmioMapping map(String what, long guestAddress, MemorySegment host) {
        RunningGuest.Attachment a = guest.mapMemory(what, guestAddress, host);
        return a::close;
    }

    @Override
    public MmioMapping trap(String what, long guestAddress, long size, MmioHandler handler) {
        RunningGuest.Attachment a = guest.trap(what, new MmioRange(guestAddress, size), new MmioDevice() {
            @Override
            public long read(long offset, int width) {
                activity.trappedAccess();
                return handler.read(offset, width);
            }

            @Override
            public void write(long offset, int width, long value) {
                activity.trappedAccess();
                handler.write(offset, width, value);
            }
        });
        return a::close;
    }

    @Override
    public void setLevel(GuestInterrupt.Line line, boolean asserted) {
        activity.userSpaceLineChange();
        guest.setSpiLevel(line.number(), asserted);
    }
}
