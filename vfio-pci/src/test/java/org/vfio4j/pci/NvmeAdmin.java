package org.vfio4j.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

import org.vfio4j.common.DmaBuffer;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.EventFd;

/**
 * The smallest NVMe driver that proves an interrupt: admin queues in a DMA buffer, one Identify
 * Controller command submitted through the guest's view of BAR0, completion signalled by MSI-X
 * vector 0 on the eventfd the model routed. Every access goes through the test machine, so it
 * takes whatever path the model chose (mmap or trap).
 */
final class NvmeAdmin implements AutoCloseable {
    static final long BAR0 = 0xFE00_0000L;
    private static final long MSI_ADDRESS = 0xFEE0_0000L;

    private final LabRig rig;
    private final DmaBuffer dma;
    private final long sq;
    private final long cq;
    private final long data;
    private int stride;

    NvmeAdmin(LabRig rig) {
        this.rig = rig;
        this.dma = rig.container.allocate(3 * 4096, Set.of(DmaPermission.READ, DmaPermission.WRITE));
        this.sq = dma.iova();
        this.cq = dma.iova() + 4096;
        this.data = dma.iova() + 8192;
    }

    long reg(int off, int width) {
        return rig.machine.read(BarSpace.MEMORY, BAR0 + off, width);
    }

    void setReg(int off, int width, long v) {
        rig.machine.write(BarSpace.MEMORY, BAR0 + off, width, v);
    }

    private void waitReady(boolean ready, long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (((reg(0x1C, 4) & 1) != 0) != ready) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("CSTS.RDY did not become " + ready + " in " + timeoutMs + " ms (CSTS 0x"
                        + Long.toHexString(reg(0x1C, 4)) + ")");
            }
            Thread.onSpinWait();
        }
    }

    /** Programs BAR0, enables memory + bus master, MSI-X with vector 0 unmasked; returns its eventfd. */
    EventFd enableMsix() {
        rig.write(0x10, 4, (int) BAR0);
        rig.write(0x14, 4, 0);
        rig.command(StandardHeader.CMD_MEMORY | StandardHeader.CMD_BUS_MASTER);
        int cap = rig.capability(MsixCapability.ID);
        assertTrue(cap > 0, "nvme shows its MSI-X capability");
        int table = rig.read(cap + 4, 4);
        assertEquals(0, table & 7, "QEMU nvme keeps its MSI-X table in BAR0");
        long entry = BAR0 + (table & ~7);
        rig.write(cap + 2, 2, 0x8000);
        rig.machine.write(BarSpace.MEMORY, entry, 4, MSI_ADDRESS);
        rig.machine.write(BarSpace.MEMORY, entry + 4, 4, 0);
        rig.machine.write(BarSpace.MEMORY, entry + 8, 4, 0x41);
        rig.machine.write(BarSpace.MEMORY, entry + 12, 4, 0);
        assertEquals(1, rig.machine.msiRoutes().size(), "vector 0 routed once unmasked");
        return rig.machine.msiRoutes().getFirst().trigger;
    }

    /** Resets the controller, sets up the admin queues and enables it. */
    void enableController() {
        long cap = reg(0x00, 4) | reg(0x04, 4) << 32;
        stride = 4 << (int) ((cap >>> 32) & 0xF);
        long timeoutMs = Math.max(1, (cap >>> 24) & 0xFF) * 500 + 5000;
        setReg(0x14, 4, 0);
        waitReady(false, timeoutMs);
        setReg(0x24, 4, (1 << 16) | 1); // 2-entry admin queues
        setReg(0x28, 4, sq & 0xFFFF_FFFFL);
        setReg(0x2C, 4, sq >>> 32);
        setReg(0x30, 4, cq & 0xFFFF_FFFFL);
        setReg(0x34, 4, cq >>> 32);
        setReg(0x14, 4, 1 | 6 << 16 | 4 << 20);
        waitReady(true, timeoutMs);
    }

    /** Submits Identify Controller, waits for the interrupt on {@code vector0}, checks the completion and data. */
    void identify(EventFd vector0, int cid) {
        MemorySegment mem = dma.segment();
        mem.asSlice(0, 4096).fill((byte) 0);
        mem.asSlice(4096, 4096).fill((byte) 0);
        mem.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0x06 | cid << 16);
        mem.set(ValueLayout.JAVA_LONG_UNALIGNED, 24, data);
        mem.set(ValueLayout.JAVA_INT_UNALIGNED, 40, 1);
        vector0.read();
        setReg(0x1000, 4, 1); // SQ0 tail
        assertTrue(vector0.await(Duration.ofSeconds(20)), "MSI-X vector 0 fired for the Identify completion");
        int dw3 = mem.get(ValueLayout.JAVA_INT_UNALIGNED, 4096 + 12);
        assertEquals(cid, dw3 & 0xFFFF, "completion for our command");
        assertEquals(1, dw3 >>> 16 & 1, "phase bit of a fresh completion");
        assertEquals(0, dw3 >>> 17, "status: success");
        assertEquals(0x1b36, mem.get(ValueLayout.JAVA_SHORT_UNALIGNED, 8192) & 0xFFFF, "Identify VID = QEMU's");
        byte[] serial = mem.asSlice(8192 + 4, 20).toArray(ValueLayout.JAVA_BYTE);
        assertEquals(org.vfio4j.lab.LabDevice.NVME_SERIAL, new String(serial, StandardCharsets.US_ASCII).strip());
        setReg(0x1000 + stride, 4, 1); // CQ0 head
    }

    @Override
    public void close() {
        setReg(0x14, 4, 0);
        dma.close();
    }
}
