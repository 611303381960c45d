package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.virt.board.MmioRange;
import org.vfio4j.virt.emu.MmioBus;
import org.vfio4j.virt.emu.MmioDevice;
import org.vfio4j.virt.kvm.ArmKvmAbi;
import org.vfio4j.virt.kvm.ArmKvmAbi.Run;
import org.vfio4j.virt.kvm.VcpuExit;

/** Exit decoding and handling on a synthetic {@code kvm_run} filled the way the kernel fills it. */
class ExitDecodingTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment run = arena.allocate(Run.LAYOUT);
    private final List<String> writes = new ArrayList<>();
    private final MmioBus bus = new MmioBus(w -> { });
    private final ExitHandler handler;

    ExitDecodingTest() {
        bus.add(new MmioRange(0x0900_0000L, 0x1000), "dev", new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                return 0x1122_3344_5566_7788L + offset;
            }

            @Override
            public void write(long offset, int size, long value) {
                writes.add(offset + ":" + size + ":" + Long.toHexString(value));
            }
        });
        handler = new ExitHandler(bus);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private void mmio(long addr, int len, boolean write, long data) {
        Run.EXIT_REASON.set(run, ArmKvmAbi.KVM_EXIT_MMIO);
        Run.MMIO_PHYS_ADDR.set(run, addr);
        Run.MMIO_LEN.set(run, len);
        Run.MMIO_IS_WRITE.set(run, (byte) (write ? 1 : 0));
        run.set(ValueLayout.JAVA_LONG_UNALIGNED, Run.MMIO_DATA, data);
    }

    @Test
    void mmioWriteReachesTheDeviceWithOnlyItsLengthOfData() {
        mmio(0x0900_0030L, 2, true, 0xdead_beef_cafe_0301L);
        VcpuExit e = VcpuExit.decode(run);
        VcpuExit.Mmio m = assertInstanceOf(VcpuExit.Mmio.class, e);
        assertEquals(0x0900_0030L, m.address());
        assertTrue(m.isWrite());
        assertNull(handler.handle(0, e));
        assertEquals(List.of("48:2:301"), writes);
    }

    @Test
    void mmioReadIsAnsweredInKvmRunLittleEndianAndTruncated() {
        mmio(0x0900_0008L, 4, false, -1L);
        assertNull(handler.handle(1, VcpuExit.decode(run)));
        assertEquals(0x5566_7790L, run.get(ValueLayout.JAVA_LONG_UNALIGNED, Run.MMIO_DATA),
                "low 4 bytes of the value, the rest zeroed");
        assertEquals((byte) 0x90, run.get(ValueLayout.JAVA_BYTE, Run.MMIO_DATA), "little-endian");
    }

    private RunOutcome systemEvent(int type) {
        Run.EXIT_REASON.set(run, ArmKvmAbi.KVM_EXIT_SYSTEM_EVENT);
        Run.SYSTEM_EVENT_TYPE.set(run, type);
        Run.SYSTEM_EVENT_NDATA.set(run, 1);
        run.set(ValueLayout.JAVA_LONG, Run.SYSTEM_EVENT_DATA, 0L);
        return Objects.requireNonNull(handler.handle(0, VcpuExit.decode(run)));
    }

    @Test
    void powerOffIsStatusZeroResetAndCrashAreNot() {
        assertEquals(0, systemEvent(ArmKvmAbi.KVM_SYSTEM_EVENT_SHUTDOWN).status());
        RunOutcome reset = systemEvent(ArmKvmAbi.KVM_SYSTEM_EVENT_RESET);
        assertEquals(1, reset.status());
        assertTrue(reset.message().contains("reset"), reset.message());
        RunOutcome crash = systemEvent(ArmKvmAbi.KVM_SYSTEM_EVENT_CRASH);
        assertEquals(1, crash.status());
        assertTrue(crash.message().contains("crash"), crash.message());
    }

    @Test
    void failEntryInternalErrorAndUnknownExitsEndTheRun() {
        Run.EXIT_REASON.set(run, ArmKvmAbi.KVM_EXIT_FAIL_ENTRY);
        Run.FAIL_REASON.set(run, 0x2aL);
        Run.FAIL_CPU.set(run, 3);
        VcpuExit f = VcpuExit.decode(run);
        assertEquals(0x2aL, assertInstanceOf(VcpuExit.FailEntry.class, f).reason());
        RunOutcome o = Objects.requireNonNull(handler.handle(0, f));
        assertTrue(o.status() != 0 && o.message().contains("0x2a") && o.message().contains("host CPU 3"), o.message());

        Run.EXIT_REASON.set(run, ArmKvmAbi.KVM_EXIT_INTERNAL_ERROR);
        Run.INTERNAL_SUBERROR.set(run, 1);
        VcpuExit i = VcpuExit.decode(run);
        assertEquals(1, assertInstanceOf(VcpuExit.InternalError.class, i).suberror());
        assertTrue(Objects.requireNonNull(handler.handle(0, i)).status() != 0);

        Run.EXIT_REASON.set(run, 999);
        VcpuExit u = VcpuExit.decode(run);
        assertEquals(999, assertInstanceOf(VcpuExit.Unknown.class, u).reason());
        assertTrue(Objects.requireNonNull(handler.handle(0, u)).message().contains("999"));
    }

    @Test
    void anInterruptedRunIsNotAnEnd() {
        Run.EXIT_REASON.set(run, ArmKvmAbi.KVM_EXIT_INTR);
        assertNull(handler.handle(0, VcpuExit.decode(run)));
    }
}
