package org.vfio4j.common.lab;

import java.time.Duration;

import org.vfio4j.common.EventFd;
import org.vfio4j.common.PlainVfioDevice;
import org.vfio4j.common.VfioIrq;
import org.vfio4j.common.VfioRegion;
import org.vfio4j.common.sys.VfioAbi;

/**
 * A tiny user-level driver for QEMU's edu device (docs/specs/edu.rst, hw/misc/edu.c), written on vfio-common
 * the way any user would: BAR0 registers through the region, completion through the MSI eventfd.
 *
 * <p>edu facts this relies on: registers below 0x80 take 4-byte accesses, 0x80 and up 4 or 8; the DMA engine
 * copies between an IOVA and its 4 KiB buffer at 0x40000 in device space; the IOVA is masked to 28 bits
 * (so buffers must sit below 256 MiB); a DMA starts ~100 ms (virtual time) after the command write and,
 * with command bit 2, raises interrupt status 0x100 when done. QEMU 7.2 (bookworm) checks the transfer with
 * {@code end < buffer end} and aborts the whole machine (hw_error) on a full 4096-byte transfer, so transfers
 * here are at most {@link #MAX_DMA} bytes.
 */
public final class Edu implements AutoCloseable {
    public static final int ID = 0x00, LIVENESS = 0x04, IRQ_STATUS = 0x24, IRQ_RAISE = 0x60, IRQ_ACK = 0x64,
            DMA_SRC = 0x80, DMA_DST = 0x88, DMA_COUNT = 0x90, DMA_CMD = 0x98;
    public static final long BUFFER = 0x40000;
    /** The largest transfer QEMU 7.2's off-by-one range check survives. */
    public static final int MAX_DMA = 4095;
    public static final int DMA_RUN = 1, DMA_TO_RAM = 2, DMA_IRQ = 4, DMA_IRQ_STATUS = 0x100;
    public static final int PCI_COMMAND = 0x04, PCI_COMMAND_MEMORY = 0x2, PCI_COMMAND_MASTER = 0x4;
    /** edu's default DMA mask: IOVAs are truncated to 28 bits. */
    public static final long DMA_LIMIT = 1L << 28;

    private final PlainVfioDevice dev;
    private final VfioRegion bar0;
    private final VfioIrq msi;
    private final EventFd done;

    /** Takes over {@code dev} (an edu opened through VFIO) and enables its MSI vector. */
    public Edu(PlainVfioDevice dev) {
        this.dev = dev;
        this.bar0 = dev.region(VfioAbi.VFIO_PCI_BAR0_REGION_INDEX);
        int id = bar0.read32(ID);
        if ((id & 0xff) != 0xed) {
            throw new IllegalStateException(dev.name() + " is not an edu: id register reads 0x" + Integer.toHexString(id));
        }
        // Memory decoding and bus mastering: VFIO leaves bus mastering to the driver, and edu's DMA needs it.
        VfioRegion config = dev.region(VfioAbi.VFIO_PCI_CONFIG_REGION_INDEX);
        config.write16(PCI_COMMAND, config.read16(PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
        this.msi = dev.irq(VfioAbi.VFIO_PCI_MSI_IRQ_INDEX);
        this.done = msi.enable(0);
    }

    public PlainVfioDevice device() {
        return dev;
    }

    public VfioRegion bar0() {
        return bar0;
    }

    public EventFd msi() {
        return done;
    }

    /** Copies {@code count} bytes from IOVA {@code src} into edu's buffer; waits for the completion MSI. */
    public void toDevice(long src, int count) {
        run(src, BUFFER, count, 0);
    }

    /** Copies {@code count} bytes from edu's buffer to IOVA {@code dst}; waits for the completion MSI. */
    public void toRam(long dst, int count) {
        run(BUFFER, dst, count, DMA_TO_RAM);
    }

    private void run(long src, long dst, int count, int dir) {
        if (count <= 0 || count > MAX_DMA) {
            throw new IllegalArgumentException("edu DMA count must be 1.." + MAX_DMA + ", not " + count);
        }
        done.read(); // forget earlier interrupts
        bar0.write64(DMA_SRC, src);
        bar0.write64(DMA_DST, dst);
        bar0.write64(DMA_COUNT, count);
        bar0.write64(DMA_CMD, DMA_RUN | dir | DMA_IRQ);
        if (!done.await(Duration.ofSeconds(30))) {
            throw new IllegalStateException("edu DMA " + Long.toHexString(src) + " -> " + Long.toHexString(dst)
                    + " did not signal completion within 30 s (cmd 0x" + Long.toHexString(bar0.read64(DMA_CMD)) + ")");
        }
        done.read();
        bar0.write32(IRQ_ACK, DMA_IRQ_STATUS);
        if ((bar0.read64(DMA_CMD) & DMA_RUN) != 0) {
            throw new IllegalStateException("edu signalled completion but its DMA command is still running");
        }
    }

    @Override
    public void close() {
        dev.close();
    }
}
