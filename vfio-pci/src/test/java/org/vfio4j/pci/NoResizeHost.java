package org.vfio4j.pci;

import java.util.List;
import java.util.Optional;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;

/**
 * A real host device that claims its interrupt indexes cannot grow while enabled, as kernels before
 * dynamic MSI-X allocation report (VFIO_IRQ_INFO_NORESIZE): makes the model take its
 * disable-and-re-enable path against the real kernel even on a kernel that could resize.
 */
record NoResizeHost(PciHost host) implements PciHost {
    @Override
    public String name() {
        return host.name();
    }

    @Override
    public int configSize() {
        return host.configSize();
    }

    @Override
    public int readConfig(int offset, int size) {
        return host.readConfig(offset, size);
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        host.writeConfig(offset, size, value);
    }

    @Override
    public Optional<PciHostRegion> hostRegion(int index) {
        return host.hostRegion(index);
    }

    @Override
    public long pageSize() {
        return host.pageSize();
    }

    @Override
    public int irqCount(PciIrqIndex index) {
        return host.irqCount(index);
    }

    @Override
    public boolean irqResizable(PciIrqIndex index) {
        return false;
    }

    @Override
    public void setIrqTriggers(PciIrqIndex index, int start, List<@Nullable EventFd> triggers) {
        host.setIrqTriggers(index, start, triggers);
    }

    @Override
    public void disableIrq(PciIrqIndex index) {
        host.disableIrq(index);
    }

    @Override
    public void unmaskIntx() {
        host.unmaskIntx();
    }

    @Override
    public void unmaskIntxOn(EventFd resample) {
        host.unmaskIntxOn(resample);
    }

    @Override
    public boolean resetDevice() {
        return host.resetDevice();
    }
}
