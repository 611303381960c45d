package org.vfio4j.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.common.sys.VfioAbi.IrqSet;

/**
 * One IRQ index of a device (PCI: INTx, MSI, MSI-X, ...; platform: one line each), with a trigger eventfd per
 * enabled vector, masking, and the unmask eventfd that lets KVM resample a level interrupt without a trip
 * through user space.
 *
 * <p>Why the bookkeeping: VFIO_DEVICE_SET_IRQS replaces what it is given, so enabling vectors one by one
 * (as a guest unmasks MSI-X entries) must pass the eventfds of the vectors already live, and growing past
 * the count the kernel enabled may need a disable and re-enable with all of them (older kernels, and
 * {@link IrqInfo#noresize()} indexes). This class keeps the live eventfds so callers never lose a vector.
 *
 * {@snippet :
 * VfioIrq msi = dev.irq(VfioAbi.VFIO_PCI_MSI_IRQ_INDEX);
 * EventFd fired = msi.enable(0);                    // vector 0 -> eventfd
 * bar0.write32(0x60, 1);                            // edu: raise an interrupt
 * boolean came = fired.await(Duration.ofSeconds(2));
 * msi.disable();
 * }
 */
public class VfioIrq implements AutoCloseable {
    private final VfioDevice device;
    private final IrqInfo info;
    private final @Nullable EventFd[] triggers;
    private final boolean[] owned;
    private final @Nullable EventFd[] unmaskFds;
    /** Vectors the kernel has enabled at this index (0 = disabled). */
    private int enabledCount;
    private boolean closed;

    /** The IRQ index of {@code device} described by {@code info}. */
    protected VfioIrq(VfioDevice device, IrqInfo info) {
        this.device = device;
        this.info = info;
        this.triggers = new @Nullable EventFd[info.count()];
        this.owned = new boolean[info.count()];
        this.unmaskFds = new @Nullable EventFd[info.count()];
    }

    public final IrqInfo info() {
        return info;
    }

    public final int index() {
        return info.index();
    }

    public final int count() {
        return info.count();
    }

    public final VfioDevice device() {
        return device;
    }

    /** How many vectors the kernel has enabled at this index (0 when disabled). */
    public final synchronized int enabledCount() {
        return enabledCount;
    }

    /** The trigger eventfd of {@code vector}, or null when the vector is not enabled. */
    public final synchronized @Nullable EventFd trigger(int vector) {
        checkRange(vector, 1);
        return triggers[vector];
    }

    /** Enables {@code vector} with a new eventfd owned by this IRQ, and returns it. */
    public final EventFd enable(int vector) {
        return enable(vector, 1).get(0);
    }

    /**
     * Enables vectors {@code [start, start + count)} with new eventfds owned by this IRQ (vectors already live
     * keep theirs), leaving other live vectors untouched.
     */
    public final synchronized List<EventFd> enable(int start, int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("enable at least one vector (count " + count + "); to disable, call disable()");
        }
        checkRange(start, count);
        List<EventFd> fresh = new ArrayList<>();
        @Nullable EventFd[] want = triggers.clone();
        try {
            for (int v = start; v < start + count; v++) {
                if (want[v] == null) {
                    EventFd e = EventFd.create();
                    fresh.add(e);
                    want[v] = e;
                }
            }
            apply(want, start, count);
        } catch (RuntimeException e) {
            fresh.forEach(EventFd::close);
            throw e;
        }
        List<EventFd> out = new ArrayList<>();
        for (int v = start; v < start + count; v++) {
            EventFd e = want[v];
            if (fresh.contains(e)) {
                owned[v] = true;
            }
            triggers[v] = e;
            out.add(java.util.Objects.requireNonNull(e));
        }
        return out;
    }

    /**
     * Enables {@code vector} signalling {@code eventfd}, which the caller keeps owning (e.g. one already
     * registered with KVM as an irqfd). Replaces the vector's previous eventfd.
     */
    public final synchronized void enable(int vector, EventFd eventfd) {
        checkRange(vector, 1);
        @Nullable EventFd[] want = triggers.clone();
        want[vector] = eventfd;
        apply(want, vector, 1);
        releaseTrigger(vector);
        triggers[vector] = eventfd;
        owned[vector] = false;
    }

    /** Makes the kernel's trigger table match {@code want} for [start, start+count), growing if needed. */
    private void apply(@Nullable EventFd[] want, int start, int count) {
        int end = start + count;
        if (enabledCount == 0 || end <= enabledCount) {
            setTriggers(want, start, count);
            enabledCount = Math.max(enabledCount, end);
            return;
        }
        // Growing past what the kernel enabled: newer kernels (dynamic MSI-X) accept it as is.
        int r = info.noresize() ? -Errno.EINVAL : trySetTriggers(want, start, count);
        if (r == 0) {
            enabledCount = end;
            return;
        }
        // Otherwise: disable and re-enable the whole range with every live eventfd, so no vector is dropped.
        disableAll();
        setTriggers(want, 0, end);
        enabledCount = end;
    }

    private void setTriggers(@Nullable EventFd[] want, int start, int count) {
        int r = trySetTriggers(want, start, count);
        if (r < 0) {
            int other = device.enabledIrqOtherThan(info.index());
            throw new VfioException("VFIO_DEVICE_SET_IRQS trigger " + describe(start, count), -r,
                    -r != Errno.EINVAL ? ""
                            : other >= 0 ? "IRQ index " + other + " of the device is still enabled, and the device "
                                    + "uses one interrupt type at a time: disable that index first"
                            : "the device refused that vector range (" + info.count() + " vectors at this index)");
        }
    }

    private int trySetTriggers(@Nullable EventFd[] want, int start, int count) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = irqSet(a, VfioAbi.VFIO_IRQ_SET_DATA_EVENTFD | VfioAbi.VFIO_IRQ_SET_ACTION_TRIGGER,
                    start, count, 4L * count);
            for (int i = 0; i < count; i++) {
                EventFd e = want[start + i];
                s.set(ValueLayout.JAVA_INT, IrqSet.LAYOUT.byteSize() + 4L * i, e == null ? -1 : e.fd());
            }
            return device.kernel().ioctl(device.fd(), VfioAbi.VFIO_DEVICE_SET_IRQS, s);
        }
    }

    private MemorySegment irqSet(Arena a, int flags, int start, int count, long dataBytes) {
        long size = IrqSet.LAYOUT.byteSize() + dataBytes;
        MemorySegment s = a.allocate(size, 4);
        IrqSet.ARGSZ.set(s, (int) size);
        IrqSet.FLAGS.set(s, flags);
        IrqSet.INDEX.set(s, info.index());
        IrqSet.START.set(s, start);
        IrqSet.COUNT.set(s, count);
        return s;
    }

    private void simple(int flags, int start, int count, String what) {
        ensureOpen();
        try (Arena a = Arena.ofConfined()) {
            int r = device.kernel().ioctl(device.fd(), VfioAbi.VFIO_DEVICE_SET_IRQS, irqSet(a, flags, start, count, 0));
            if (r < 0) {
                throw new VfioException("VFIO_DEVICE_SET_IRQS " + what + " " + describe(start, count), -r, "");
            }
        }
    }

    /** Disables every vector of this index and closes the eventfds it owns. */
    public final synchronized void disable() {
        if (enabledCount > 0) {
            disableAll();
            enabledCount = 0;
        }
        for (int v = 0; v < triggers.length; v++) {
            releaseTrigger(v);
            releaseUnmask(v);
        }
    }

    private void disableAll() {
        simple(VfioAbi.VFIO_IRQ_SET_DATA_NONE | VfioAbi.VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, "disable");
    }

    /** Detaches the eventfds of vectors {@code [start, start + count)}; the others stay live. */
    public final synchronized void disable(int start, int count) {
        checkRange(start, count);
        @Nullable EventFd[] want = triggers.clone();
        for (int v = start; v < start + count; v++) {
            want[v] = null;
        }
        int live = Math.min(count, Math.max(0, enabledCount - start));
        if (live > 0) { // count 0 would mean "disable the whole index" to the kernel
            setTriggers(want, start, live);
        }
        for (int v = start; v < start + count; v++) {
            releaseTrigger(v);
        }
        if (enabledCount > 0 && java.util.Arrays.stream(triggers).allMatch(java.util.Objects::isNull)) {
            // No live vector left: disable the index, so the device can switch to another interrupt type.
            disableAll();
            enabledCount = 0;
        }
    }

    /** Masks {@code vector} (VFIO_IRQ_SET_ACTION_MASK); needs a maskable index. */
    public final void mask(int vector) {
        checkMaskable(vector);
        simple(VfioAbi.VFIO_IRQ_SET_DATA_NONE | VfioAbi.VFIO_IRQ_SET_ACTION_MASK, vector, 1, "mask");
    }

    /** Unmasks {@code vector}; for an automasked (level) line this re-arms it after it fired. */
    public final void unmask(int vector) {
        checkMaskable(vector);
        simple(VfioAbi.VFIO_IRQ_SET_DATA_NONE | VfioAbi.VFIO_IRQ_SET_ACTION_UNMASK, vector, 1, "unmask");
    }

    /**
     * Registers {@code eventfd} so that signalling it unmasks {@code vector} inside the kernel
     * (VFIO_IRQ_SET_ACTION_UNMASK | DATA_EVENTFD): KVM's irqfd resample eventfd goes here, so a guest EOI
     * re-arms a level interrupt without waking user space. The caller keeps owning the eventfd.
     */
    public final synchronized void unmaskOn(int vector, EventFd eventfd) {
        checkMaskable(vector);
        setUnmaskFd(vector, eventfd.fd());
        releaseUnmask(vector);
        unmaskFds[vector] = eventfd;
    }

    /** Removes the unmask eventfd of {@code vector}. */
    public final synchronized void clearUnmaskOn(int vector) {
        checkMaskable(vector);
        if (unmaskFds[vector] != null) {
            setUnmaskFd(vector, -1);
            unmaskFds[vector] = null;
        }
    }

    private void setUnmaskFd(int vector, int fd) {
        ensureOpen();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = irqSet(a, VfioAbi.VFIO_IRQ_SET_DATA_EVENTFD | VfioAbi.VFIO_IRQ_SET_ACTION_UNMASK, vector, 1, 4);
            s.set(ValueLayout.JAVA_INT, IrqSet.LAYOUT.byteSize(), fd);
            int r = device.kernel().ioctl(device.fd(), VfioAbi.VFIO_DEVICE_SET_IRQS, s);
            if (r < 0) {
                throw new VfioException("VFIO_DEVICE_SET_IRQS unmask-eventfd " + describe(vector, 1), -r,
                        -r == Errno.EINVAL ? "enable the vector's trigger first" : "");
            }
        }
    }

    /** Fires {@code vector} from software (ACTION_TRIGGER | DATA_NONE): the trigger eventfd is signalled. */
    public final void fire(int vector) {
        checkRange(vector, 1);
        simple(VfioAbi.VFIO_IRQ_SET_DATA_NONE | VfioAbi.VFIO_IRQ_SET_ACTION_TRIGGER, vector, 1, "loopback trigger");
    }

    private void releaseTrigger(int v) {
        EventFd e = triggers[v];
        if (e != null && owned[v]) {
            e.close();
        }
        triggers[v] = null;
        owned[v] = false;
    }

    private void releaseUnmask(int v) {
        unmaskFds[v] = null; // caller-owned
    }

    private void checkMaskable(int vector) {
        checkRange(vector, 1);
        if (!info.maskable()) {
            throw new IllegalStateException(describe(vector, 1) + " is not maskable (VFIO_IRQ_INFO_MASKABLE unset; "
                    + "MSI/MSI-X vectors are masked in the device's own capability, not through VFIO)");
        }
    }

    private void checkRange(int start, int count) {
        ensureOpen();
        if (start < 0 || count < 0 || start + count > info.count() || (count == 0 && start != 0)) {
            throw new IndexOutOfBoundsException("vectors [" + start + ", " + (start + count) + ") outside IRQ index "
                    + info.index() + " of " + device.name() + ", which has " + info.count());
        }
    }

    /** Throws IllegalStateException when this IRQ (or its device) is closed. */
    protected final void ensureOpen() {
        Check.open(closed || device.isClosed(), this);
    }

    private String describe(int start, int count) {
        return "IRQ index " + info.index() + " vectors [" + start + ", " + (start + count) + ") of " + device.name();
    }

    /** Disables the index and closes owned eventfds; idempotent. Called by the device's close. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            if (!device.isClosed()) {
                disable();
            }
        } catch (VfioException e) {
            // closing the device fd disables everything anyway
        } finally {
            closed = true;
            for (int v = 0; v < triggers.length; v++) {
                releaseTrigger(v);
            }
        }
    }

    @Override
    public String toString() {
        return "IRQ index " + info.index() + " of " + device.name();
    }
}
