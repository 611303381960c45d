package org.vfio4j.virt.pci;

/**
 * The configuration space of one PCI Express root port for one boot: a type 1 (PCI-to-PCI bridge) header whose bus
 * numbers and windows the guest programs, a PCI Express capability with a hot-plug slot, and an MSI capability
 * through which the slot's events interrupt the guest.
 *
 * <p>Why these registers and no others: they are what the guest's PCI core needs to number the bus behind the port
 * and give it windows, and what {@code pciehp} drives: slot capabilities with an attention button, a power
 * controller, power and attention indicators, hot-plug capable, command completed signalled (no {@code NCCS});
 * slot control and status; the link's {@code Data Link Layer Link Active}, which {@code pciehp} waits for after it
 * powers a slot on. Everything else reads zero or as the header type fixes it; the extended space (from 0x100) reads
 * zero, no extended capability.
 *
 * <p>Why the slot's state follows QEMU's model of it: presence is the machine's ({@link #presence}), and the link is
 * active while a device is present; the guest powers the slot on and off with the power controller control bit,
 * and a slot that is powered off with its power indicator off while a device is present loses the device
 * ({@link Events#slotOff}), whether {@code device_del} pressed the attention button first or the guest turned the
 * slot off by itself. An interrupt (an MSI) goes out when the slot's enabled events first become pending with
 * hot-plug interrupts enabled, as the PCI Express specification has it for MSI: the guest clears the events it has
 * handled before another is signalled. A write that clears events which were not pending clears none (QEMU's
 * answer to guests that clear everything at once and so could lose an event that came in between).
 *
 * <p>Every guest write lands in a byte-wise writable mask, so no value the guest writes reaches a bit this model
 * owns (presence, link state, the capability layout).
 */
final class RootPortConfig implements PciFunction {
    /** What the slot asks of the port that owns it; called with this config space locked, so they must not block. */
    interface Events {
        /** Sends the MSI the guest programmed. */
        void interrupt(long address, int data);

        /** The guest turned the slot off (power and power indicator) with a device present in it. */
        void slotOff();
    }

    static final int VENDOR_REDHAT = 0x1b36, DEVICE_ROOT_PORT = 0x000c;
    static final int EXP = 0x40, MSI = 0x80;
    static final int SLTCAP = EXP + 0x14, SLTCTL = EXP + 0x18, SLTSTA = EXP + 0x1a, LNKSTA = EXP + 0x12;

    // Slot capabilities
    static final int SLTCAP_ABP = 1, SLTCAP_PCP = 1 << 1, SLTCAP_AIP = 1 << 3, SLTCAP_PIP = 1 << 4, SLTCAP_HPC = 1 << 6;
    // Slot control
    static final int SLTCTL_ABPE = 1, SLTCTL_PFDE = 1 << 1, SLTCTL_MRLSCE = 1 << 2, SLTCTL_PDCE = 1 << 3,
            SLTCTL_CCIE = 1 << 4, SLTCTL_HPIE = 1 << 5, SLTCTL_AIC = 3 << 6, SLTCTL_PIC = 3 << 8,
            SLTCTL_PCC = 1 << 10, SLTCTL_DLLSCE = 1 << 12;
    static final int INDICATOR_ON = 1, INDICATOR_BLINK = 2, INDICATOR_OFF = 3;
    // Slot status
    static final int SLTSTA_ABP = 1, SLTSTA_PFD = 1 << 1, SLTSTA_MRLSC = 1 << 2, SLTSTA_PDC = 1 << 3,
            SLTSTA_CC = 1 << 4, SLTSTA_PDS = 1 << 6, SLTSTA_DLLSC = 1 << 8;
    static final int LNKSTA_DLLLA = 1 << 13;
    /** The events a write of ones clears; data link layer state changed is not among them, as in QEMU. */
    private static final int EVENTS = SLTSTA_ABP | SLTSTA_PFD | SLTSTA_MRLSC | SLTSTA_PDC | SLTSTA_CC;

    private static final int SIZE = 256;
    private final byte[] config = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];
    private final byte[] clearOnOne = new byte[SIZE];
    private final Events events;
    private boolean present;
    /** Whether the enabled events were pending, with hot-plug interrupts on, after the last change. */
    private boolean signalled;

    /**
     * A root port at reset: {@code physicalSlot} in its slot capabilities, {@code portNumber} in its link
     * capabilities, the header type's multi-function bit as {@code multifunction}, and a slot that is powered with its
     * power indicator on when {@code present} (a device is in it at start), off otherwise.
     */
    RootPortConfig(int physicalSlot, int portNumber, boolean multifunction, boolean present, Events events) {
        this.events = events;
        this.present = present;
        put(0x00, 2, VENDOR_REDHAT);
        put(0x02, 2, DEVICE_ROOT_PORT);
        put(0x04, 2, 0);
        writable(0x04, 2, 0x0547);                 // I/O, memory, bus master, parity, SERR#, INTx disable
        put(0x06, 2, 1 << 4);                      // capabilities list
        put(0x08, 4, 0x0604_0000);                 // class: PCI-to-PCI bridge, revision 0
        writable(0x0c, 1, 0xff);                   // cache line size
        put(0x0e, 1, 0x01 | (multifunction ? 0x80 : 0));
        writable(0x18, 3, 0xff_ffff);              // primary, secondary, subordinate bus numbers
        writable(0x1b, 1, 0xff);                   // secondary latency timer
        writable(0x1c, 2, 0xf0f0);                 // I/O base and limit (16-bit decode)
        writable(0x20, 4, 0xfff0_fff0);            // memory base and limit
        put(0x24, 4, 0x0001_0001);                 // prefetchable base and limit, 64-bit
        writable(0x24, 4, 0xfff0_fff0);
        writable(0x28, 4, 0xffff_ffff);            // prefetchable base, upper 32 bits
        writable(0x2c, 4, 0xffff_ffff);            // prefetchable limit, upper 32 bits
        put(0x34, 1, EXP);
        writable(0x3c, 1, 0xff);                   // interrupt line (the pin is 0: MSI only)
        writable(0x3e, 2, 0x0043);                 // bridge control: parity, SERR#, secondary bus reset

        put(EXP, 1, 0x10);
        put(EXP + 1, 1, MSI);
        put(EXP + 2, 2, 0x0142);                   // version 2, root port, slot implemented, MSI message 0
        put(EXP + 4, 4, 1 << 15);                  // device capabilities: role-based error reporting
        writable(EXP + 8, 2, 0x7cff);              // device control
        put(EXP + 0x0c, 4, portNumber << 24 | 1 << 20 | 1 << 4 | 1);   // x1, 2.5 GT/s, link active reporting
        writable(EXP + 0x10, 2, 0x0fc3);           // link control
        put(LNKSTA, 2, 1 << 4 | 1);                // negotiated x1 at 2.5 GT/s
        put(SLTCAP, 4, physicalSlot << 19 | SLTCAP_HPC | SLTCAP_PIP | SLTCAP_AIP | SLTCAP_PCP | SLTCAP_ABP);
        int indicator = present ? INDICATOR_ON : INDICATOR_OFF;
        put(SLTCTL, 2, indicator << 8 | INDICATOR_OFF << 6 | (present ? 0 : SLTCTL_PCC));
        writable(SLTCTL, 2, 0x17ff);
        put(SLTSTA, 2, present ? SLTSTA_PDS : 0);
        clearOnOne(SLTSTA, 2, SLTSTA_ABP | SLTSTA_PFD | SLTSTA_MRLSC | SLTSTA_PDC | SLTSTA_CC | SLTSTA_DLLSC);
        writable(EXP + 0x1c, 2, 0x001f);           // root control
        put(EXP + 0x2c, 4, 1 << 1);                // link capabilities 2: 2.5 GT/s supported
        put(EXP + 0x30, 2, 1);                     // link control 2: target 2.5 GT/s
        writable(EXP + 0x30, 2, 0x000f);
        linkActive(present);

        put(MSI, 1, 0x05);
        put(MSI + 2, 2, 1 << 7);                   // 64-bit addresses, one vector, no masking
        writable(MSI + 2, 2, 0x0071);
        writable(MSI + 4, 4, 0xffff_fffc);
        writable(MSI + 8, 4, 0xffff_ffff);
        writable(MSI + 0x0c, 2, 0xffff);
    }

    @Override
    public synchronized int configRead(int offset, int size) {
        if (offset < 0 || offset + size > SIZE) {
            return 0;   // the extended space: no extended capabilities
        }
        return get(offset, size);
    }

    @Override
    public synchronized void configWrite(int offset, int size, int value) {
        if (offset < 0 || offset + size > SIZE) {
            return;
        }
        int oldControl = get(SLTCTL, 2);
        int oldStatus = get(SLTSTA, 2);
        for (int i = 0; i < size; i++) {
            int at = offset + i;
            int v = value >>> (8 * i) & 0xff;
            int w = writable[at] & 0xff;
            int c = clearOnOne[at] & 0xff;
            config[at] = (byte) ((config[at] & ~w | v & w) & ~(v & c));
        }
        if (offset < SLTSTA + 2 && SLTSTA < offset + size) {
            int cleared = value >>> (8 * (SLTSTA - offset)) & 0xffff;
            if (SLTSTA < offset) {
                cleared = value << (8 * (offset - SLTSTA)) & 0xffff;
            }
            if ((cleared & ~oldStatus & EVENTS) != 0) {
                // clearing events that were not pending: a guest clearing everything at once, racing an event
                // that came between its read and its write; the pending ones stay, as QEMU keeps them
                put(SLTSTA, 2, get(SLTSTA, 2) & ~EVENTS | oldStatus & EVENTS);
            }
        }
        if (offset < SLTCTL + 2 && SLTCTL < offset + size) {
            slotControlWritten(oldControl, get(SLTCTL, 2));
        }
        update();
    }

    /**
     * The guest wrote slot control: the command is complete at once (the status says so), and a slot it has just
     * turned off (power controller and power indicator) with a device present loses the device: presence and link
     * go at once, with a presence detect change, and the owner is told to take the device out.
     */
    private void slotControlWritten(int old, int now) {
        boolean off = (now & SLTCTL_PCC) != 0 && (now & SLTCTL_PIC) >>> 8 == INDICATOR_OFF;
        boolean wasOff = (old & SLTCTL_PCC) != 0 && (old & SLTCTL_PIC) >>> 8 == INDICATOR_OFF;
        if (present && off && !wasOff) {
            present = false;
            put(SLTSTA, 2, get(SLTSTA, 2) & ~SLTSTA_PDS | SLTSTA_PDC);
            linkActive(false);
            events.slotOff();
        }
        setStatus(SLTSTA_CC);
    }

    /**
     * A device entered ({@code true}) or left the slot: presence detect and the link change together, with a
     * presence detect changed event. An arrival also presses the attention button, as QEMU's slot does: a guest that
     * enabled the button's event and not presence detect's ({@code pciehp} does so when the slot has a button) learns
     * of the device either way.
     */
    synchronized void presence(boolean present) {
        if (this.present == present) {
            return;
        }
        this.present = present;
        put(SLTSTA, 2, get(SLTSTA, 2) & ~SLTSTA_PDS | (present ? SLTSTA_PDS | SLTSTA_ABP : 0) | SLTSTA_PDC);
        linkActive(present);
        update();
    }

    /**
     * Presses the slot's attention button (what {@code device_del} does): the guest's {@code pciehp} blinks the power
     * indicator for five seconds, then takes the device out and turns the slot off. False, and nothing pressed, when
     * an unplug is already under way (the indicator blinks): a second press would cancel it.
     */
    synchronized boolean pressAttentionButton() {
        if (powerIndicator() == INDICATOR_BLINK) {
            return false;
        }
        setStatus(SLTSTA_ABP);
        update();
        return true;
    }

    /** The power indicator's state in slot control: {@link #INDICATOR_ON}, {@code _BLINK} or {@code _OFF}. */
    synchronized int powerIndicator() {
        return (get(SLTCTL, 2) & SLTCTL_PIC) >>> 8;
    }

    /** The bus number the guest gave the bus behind the port (0: not yet numbered). */
    synchronized int secondaryBus() {
        return get(0x19, 1);
    }

    /** The highest bus number behind the port. */
    synchronized int subordinateBus() {
        return get(0x1a, 1);
    }

    /** The port's memory window as the guest programmed it: {base, limit}; base above limit when it forwards none. */
    synchronized long[] memoryWindow() {
        return new long[] {(long) (get(0x20, 2) & 0xfff0) << 16, (long) (get(0x22, 2) & 0xfff0) << 16 | 0xf_ffff};
    }

    /** The port's prefetchable window: {base, limit}. */
    synchronized long[] prefetchableWindow() {
        long base = (long) (get(0x24, 2) & 0xfff0) << 16 | Integer.toUnsignedLong(get(0x28, 4)) << 32;
        long limit = (long) (get(0x26, 2) & 0xfff0) << 16 | 0xf_ffff | Integer.toUnsignedLong(get(0x2c, 4)) << 32;
        return new long[] {base, limit};
    }

    /** The port's I/O window: {base, limit}. */
    synchronized long[] ioWindow() {
        return new long[] {(get(0x1c, 1) & 0xf0) << 8, (get(0x1d, 1) & 0xf0) << 8 | 0xfff};
    }

    /** Sets the link's active bit; true when it changed. */
    private boolean linkActive(boolean active) {
        int before = get(LNKSTA, 2);
        int after = active ? before | LNKSTA_DLLLA : before & ~LNKSTA_DLLLA;
        put(LNKSTA, 2, after);
        return before != after;
    }

    private void setStatus(int bits) {
        put(SLTSTA, 2, get(SLTSTA, 2) | bits);
    }

    /** Sends the MSI when the enabled events have just become pending with hot-plug interrupts on. */
    private void update() {
        int control = get(SLTCTL, 2);
        int status = get(SLTSTA, 2);
        int enabled = 0;
        if ((control & SLTCTL_ABPE) != 0) {
            enabled |= SLTSTA_ABP;
        }
        if ((control & SLTCTL_PFDE) != 0) {
            enabled |= SLTSTA_PFD;
        }
        if ((control & SLTCTL_MRLSCE) != 0) {
            enabled |= SLTSTA_MRLSC;
        }
        if ((control & SLTCTL_PDCE) != 0) {
            enabled |= SLTSTA_PDC;
        }
        if ((control & SLTCTL_CCIE) != 0) {
            enabled |= SLTSTA_CC;
        }
        if ((control & SLTCTL_DLLSCE) != 0) {
            enabled |= SLTSTA_DLLSC;
        }
        boolean pending = (control & SLTCTL_HPIE) != 0 && (status & enabled) != 0;
        boolean rising = pending && !signalled;
        signalled = pending;
        if (rising && (get(MSI + 2, 2) & 1) != 0) {
            long address = Integer.toUnsignedLong(get(MSI + 4, 4)) | Integer.toUnsignedLong(get(MSI + 8, 4)) << 32;
            events.interrupt(address, get(MSI + 0x0c, 2));
        }
    }

    private int get(int offset, int size) {
        int v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | config[offset + i] & 0xff;
        }
        return v;
    }

    private void put(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            config[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    private void writable(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            writable[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    private void clearOnOne(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            clearOnOne[offset + i] = (byte) (mask >>> (8 * i));
            writable[offset + i] &= (byte) ~(mask >>> (8 * i));
        }
    }
}
