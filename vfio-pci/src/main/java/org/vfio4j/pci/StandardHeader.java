package org.vfio4j.pci;

/**
 * The policy of the type-0 header registers (0x00-0x3F), as a table.
 *
 * <p>Why in one place: these are the bits every assigned device shares. IDs, class, header type,
 * subsystem, BIST and min/max latency are the device's and read-only. The command register's
 * I/O, memory, bus-master, parity, SERR and INTx-disable bits reach the device (they must, for DMA
 * and for the mmapped BARs to decode) and are reported to the machine; the status error bits are
 * write-1-to-clear on the device; cache line and latency timer are emulated (they mean nothing to
 * a virtual bus); interrupt line is the guest's; interrupt pin is the model's (0 when INTx is off).
 * BARs, the ROM BAR and the capability pointer are declared by their own classes.
 */
final class StandardHeader {

    static final int COMMAND = 0x04;
    static final int STATUS = 0x06;
    static final int HEADER_TYPE = 0x0E;
    static final int INTERRUPT_LINE = 0x3C;
    static final int INTERRUPT_PIN = 0x3D;

    static final int CMD_IO = 0x1;
    static final int CMD_MEMORY = 0x2;
    static final int CMD_BUS_MASTER = 0x4;
    static final int CMD_INTX_DISABLE = 0x400;
    /** Command bits the guest may set on the device. */
    static final int CMD_WRITABLE = CMD_IO | CMD_MEMORY | CMD_BUS_MASTER | 0x40 | 0x100 | CMD_INTX_DISABLE;
    /** Status bits that clear when the guest writes 1: parity, target/master aborts, SERR, parity error. */
    static final int STATUS_RW1C = 0xF900;

    private StandardHeader() {}

    /** Declares the header's masks and emulated values. */
    static void define(ConfigSpace config, int pin) {
        ConfigMasks m = config.masks();
        m.define(COMMAND, 2, 0, CMD_WRITABLE);
        m.define(STATUS, 2, 0, STATUS_RW1C, STATUS_RW1C);
        m.define(0x0C, 2, 0xFFFF, 0xFFFF);
        config.setEmulated(0x0C, 2, 0);
        for (int bar = 0x10; bar < 0x28; bar += 4) {
            m.emulateReadOnly(bar, 4);
            config.setEmulated(bar, 4, 0);
        }
        m.emulateReadOnly(0x35, 7);
        for (int i = 0x35; i < 0x3C; i++) {
            config.setEmulated(i, 1, 0);
        }
        m.define(INTERRUPT_LINE, 1, 0xFF, 0xFF);
        config.setEmulated(INTERRUPT_LINE, 1, 0);
        m.emulateReadOnly(INTERRUPT_PIN, 1);
        config.setEmulated(INTERRUPT_PIN, 1, pin);
    }
}
