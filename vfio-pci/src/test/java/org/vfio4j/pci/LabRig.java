package org.vfio4j.pci;

import java.util.ArrayList;
import java.util.List;

import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;

/**
 * A real device in the lab, bound to vfio-pci, opened through vfio-common and plugged into the
 * test machine: the test-side "guest" drives {@link #model} exactly as a guest's PCI code would.
 */
final class LabRig implements AutoCloseable {
    final VfioContainer container;
    final VfioGroup group;
    final VfioPciDevice device;
    final FakeMachine machine;
    final AssignedPciDevice model;

    LabRig(LabHost host, LabDevice d, String extraOptions, boolean resample) {
        this(host, d, extraOptions, resample, false);
    }

    /** @param noResize drive the device through {@link NoResizeHost} (the NORESIZE re-enable path) */
    LabRig(LabHost host, LabDevice d, String extraOptions, boolean resample, boolean noResize) {
        String number = host.bindToVfio(d);
        container = VfioContainer.open();
        VfioGroup g = null;
        VfioPciDevice dev = null;
        try {
            g = container.attach(Integer.parseInt(number));
            dev = VfioPciDevice.open(g, d.bdf());
            machine = new FakeMachine(resample);
            PciOptions options = PciOptions.parse("vfio-pci,host=" + d.bdf() + extraOptions);
            model = noResize ? new AssignedPciDevice(new NoResizeHost(dev), options, machine.seams())
                    : dev.plug(options, machine.seams());
            model.start();
        } catch (RuntimeException e) {
            if (dev != null) {
                dev.close();
            }
            if (g != null) {
                g.close();
            }
            container.close();
            throw e;
        }
        group = g;
        device = dev;
    }

    int read(int off, int size) {
        return model.configRead(off, size);
    }

    void write(int off, int size, int value) {
        model.configWrite(off, size, value);
    }

    /** The guest's walk of the standard capability list: offset of capability {@code id}, or -1. */
    int capability(int id) {
        int at = read(0x34, 1);
        for (int n = 0; at != 0 && n < 48; n++) {
            if (read(at, 1) == id) {
                return at;
            }
            at = read(at + 1, 1) & 0xFC;
        }
        return -1;
    }

    List<Integer> capabilityIds() {
        List<Integer> ids = new ArrayList<>();
        int at = read(0x34, 1);
        for (int n = 0; at != 0 && n < 48; n++) {
            ids.add(read(at, 1));
            at = read(at + 1, 1) & 0xFC;
        }
        return ids;
    }

    /** Sizes BAR {@code index} like a guest (all ones, read back, restore) and returns the read-back value. */
    long sizeBar(int index, boolean is64) {
        int reg = 0x10 + 4 * index;
        int lo = read(reg, 4);
        int hi = is64 ? read(reg + 4, 4) : 0;
        write(reg, 4, -1);
        if (is64) {
            write(reg + 4, 4, -1);
        }
        long mask = Integer.toUnsignedLong(read(reg, 4)) | (is64 ? (long) read(reg + 4, 4) << 32 : 0);
        write(reg, 4, lo);
        if (is64) {
            write(reg + 4, 4, hi);
        }
        return mask;
    }

    void command(int bits) {
        write(StandardHeader.COMMAND, 2, read(StandardHeader.COMMAND, 2) | bits);
    }

    @Override
    public void close() {
        model.close();
        device.close();
        group.close();
        container.close();
    }
}
