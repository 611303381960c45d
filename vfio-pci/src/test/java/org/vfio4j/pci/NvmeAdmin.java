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
 * The smallest NVMe driver that proves interrupts: admin (and optionally one I/O) queue pair in a
 * DMA buffer, commands submitted through the guest's view of BAR0, each completion awaited on the
 * eventfd the model routed for the queue's MSI-X vector. Every access goes through the test
 * machine, so it takes whatever path the model chose (mmap or trap).
 */
final class NvmeAdmin implements AutoCloseable {
    static final long BAR0 = 0xFE00_0000L;
    private static final long MSI_ADDRESS = 0xFEE0_0000L;
    private static final int DEPTH = 8;
    private static final long PAGE = 4096;

    private final LabRig rig;
    private final DmaBuffer dma;
    private final Queue admin;
    private final Queue io;
    private final long data;
    private int stride;
    private long tableBase;

    /** One submission/completion queue pair and its ring state. */
    private final class Queue {
        final int id;
        final long sq;
        final long cq;
        int tail;
        int head;
        int phase = 1;

        Queue(int id, long sq, long cq) {
            this.id = id;
            this.sq = sq;
            this.cq = cq;
        }

        /** Submits one command and waits for its completion interrupt; returns the status field. */
        int run(int opcode, int nsid, int cid, long prp1, int cdw10, int cdw11, EventFd vector) {
            MemorySegment m = mem(sq + 64L * tail, 64);
            m.fill((byte) 0);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, 0, opcode | cid << 16);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, 4, nsid);
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, 24, prp1);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, 40, cdw10);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, 44, cdw11);
            vector.read();
            tail = (tail + 1) % DEPTH;
            setReg(0x1000 + 2 * id * stride, 4, tail);
            assertTrue(vector.await(Duration.ofSeconds(20)), "interrupt for command 0x" + Integer.toHexString(opcode)
                    + " on queue " + id);
            int dw3 = mem(cq + 16L * head, 16).get(ValueLayout.JAVA_INT_UNALIGNED, 12);
            assertEquals(phase, dw3 >>> 16 & 1, "a fresh completion (phase) on queue " + id);
            assertEquals(cid, dw3 & 0xFFFF, "completion for our command");
            head = (head + 1) % DEPTH;
            if (head == 0) {
                phase ^= 1;
            }
            setReg(0x1000 + (2 * id + 1) * stride, 4, head);
            return dw3 >>> 17;
        }
    }

    NvmeAdmin(LabRig rig) {
        this.rig = rig;
        this.dma = rig.container.allocate(5 * PAGE, Set.of(DmaPermission.READ, DmaPermission.WRITE));
        long base = dma.iova();
        this.admin = new Queue(0, base, base + PAGE);
        this.data = base + 2 * PAGE;
        this.io = new Queue(1, base + 3 * PAGE, base + 4 * PAGE);
    }

    private MemorySegment mem(long iova, long size) {
        return dma.segment().asSlice(iova - dma.iova(), size);
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
        tableBase = BAR0 + (table & ~7);
        rig.write(cap + 2, 2, 0x8000);
        return unmask(0);
    }

    /** Programs and unmasks MSI-X table entry {@code vector}; returns the eventfd the model routed for it. */
    EventFd unmask(int vector) {
        long entry = tableBase + 16L * vector;
        int routes = rig.machine.msiRoutes().size();
        rig.machine.write(BarSpace.MEMORY, entry, 4, MSI_ADDRESS);
        rig.machine.write(BarSpace.MEMORY, entry + 4, 4, 0);
        rig.machine.write(BarSpace.MEMORY, entry + 8, 4, 0x40 + vector);
        rig.machine.write(BarSpace.MEMORY, entry + 12, 4, 0);
        assertEquals(routes + 1, rig.machine.msiRoutes().size(), "vector " + vector + " routed once unmasked");
        return rig.machine.msiRoutes().getLast().trigger;
    }

    /** Resets the controller, sets up the admin queues and enables it. */
    void enableController() {
        long cap = reg(0x00, 4) | reg(0x04, 4) << 32;
        stride = 4 << (int) ((cap >>> 32) & 0xF);
        long timeoutMs = Math.max(1, (cap >>> 24) & 0xFF) * 500 + 5000;
        setReg(0x14, 4, 0);
        waitReady(false, timeoutMs);
        dma.segment().fill((byte) 0);
        setReg(0x24, 4, (DEPTH - 1) << 16 | (DEPTH - 1));
        setReg(0x28, 4, admin.sq & 0xFFFF_FFFFL);
        setReg(0x2C, 4, admin.sq >>> 32);
        setReg(0x30, 4, admin.cq & 0xFFFF_FFFFL);
        setReg(0x34, 4, admin.cq >>> 32);
        setReg(0x14, 4, 1 | 6 << 16 | 4 << 20);
        waitReady(true, timeoutMs);
    }

    /** Identify Controller on the admin queue; checks the data came back by DMA. */
    void identify(EventFd vector0, int cid) {
        mem(data, PAGE).fill((byte) 0);
        assertEquals(0, admin.run(0x06, 0, cid, data, 1, 0, vector0), "Identify status");
        assertEquals(0x1b36, mem(data, 2).get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xFFFF, "Identify VID = QEMU's");
        byte[] serial = mem(data + 4, 20).toArray(ValueLayout.JAVA_BYTE);
        assertEquals(org.vfio4j.lab.LabDevice.NVME_SERIAL, new String(serial, StandardCharsets.US_ASCII).strip());
    }

    /** Creates I/O queue pair 1 whose completions interrupt on MSI-X {@code vector} (commands on the admin queue). */
    void createIoQueues(EventFd vector0, int vector) {
        assertEquals(0, admin.run(0x05, 0, 0x31, io.cq, 1 | (DEPTH - 1) << 16, 0b11 | vector << 16, vector0),
                "Create I/O Completion Queue status");
        assertEquals(0, admin.run(0x01, 0, 0x32, io.sq, 1 | (DEPTH - 1) << 16, 0b1 | 1 << 16, vector0),
                "Create I/O Submission Queue status");
    }

    /** A Flush of namespace 1 on the I/O queue; its completion interrupts on that queue's vector. */
    void flush(EventFd ioVector, int cid) {
        assertEquals(0, io.run(0x00, 1, cid, 0, 0, 0, ioVector), "Flush status");
    }

    @Override
    public void close() {
        setReg(0x14, 4, 0);
        dma.close();
    }
}
