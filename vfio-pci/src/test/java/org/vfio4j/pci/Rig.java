package org.vfio4j.pci;

/** A started model on a fake host and a fake machine, with guest-side helpers. */
final class Rig implements AutoCloseable {
    final FakePciHost host;
    final FakeMachine machine;
    final AssignedPciDevice device;

    Rig(FakePciHost host, String options, boolean resample) {
        this.host = host;
        this.machine = new FakeMachine(resample);
        this.device = new AssignedPciDevice(host, PciOptions.parse(options), machine.seams());
        device.start();
    }

    Rig(FakePciHost host) {
        this(host, "vfio-pci,host=0000:00:04.0", true);
    }

    int read32(int off) {
        return device.configRead(off, 4);
    }

    int read16(int off) {
        return device.configRead(off, 2);
    }

    int read8(int off) {
        return device.configRead(off, 1);
    }

    void write32(int off, int v) {
        device.configWrite(off, 4, v);
    }

    void write16(int off, int v) {
        device.configWrite(off, 2, v);
    }

    void write8(int off, int v) {
        device.configWrite(off, 1, v);
    }

    /** Sets command bits like a guest: read, or, write. */
    void command(int bits) {
        write16(StandardHeader.COMMAND, read16(StandardHeader.COMMAND) | bits);
    }

    /** The guest's walk of the standard capability list: ids in order. */
    java.util.List<Integer> standardCapIds() {
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        int at = read8(0x34);
        while (at != 0 && ids.size() < 48) {
            ids.add(read8(at));
            at = read8(at + 1) & 0xFC;
        }
        return ids;
    }

    /** The guest's walk of the extended capability list: ids in order (id 0 placeholders skipped). */
    java.util.List<Integer> extendedCapIds() {
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        int at = 0x100;
        while (at != 0 && ids.size() < 48) {
            int header = read32(at);
            if (header == 0) {
                break;
            }
            if ((header & 0xFFFF) != 0) {
                ids.add(header & 0xFFFF);
            }
            at = header >>> 20 & 0xFFC;
        }
        return ids;
    }

    @Override
    public void close() {
        device.close();
    }
}
