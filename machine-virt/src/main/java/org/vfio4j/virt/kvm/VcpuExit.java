package org.vfio4j.virt.kvm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.vfio4j.virt.kvm.ArmKvmAbi.Run;

/**
 * Why KVM_RUN returned, decoded from {@code kvm_run}. Sealed: the vCPU loop handles every kind the VMM
 * knows and reports the rest as {@link Unknown}.
 *
 * <p>Why final classes, not records: ECJ's null analysis trips over records implementing a
 * {@code @NonNullByDefault} interface.
 */
public sealed interface VcpuExit {
    /** Decodes the exit in {@code run} (the vCPU's {@code kvm_run}, or a buffer laid out the same way in tests). */
    static VcpuExit decode(MemorySegment run) {
        int reason = (int) Run.EXIT_REASON.get(run);
        return switch (reason) {
            case ArmKvmAbi.KVM_EXIT_MMIO -> new Mmio(run, (long) Run.MMIO_PHYS_ADDR.get(run), (int) Run.MMIO_LEN.get(run),
                    (byte) Run.MMIO_IS_WRITE.get(run) != 0);
            case ArmKvmAbi.KVM_EXIT_SYSTEM_EVENT -> {
                int n = (int) Run.SYSTEM_EVENT_NDATA.get(run);
                yield new SystemEvent((int) Run.SYSTEM_EVENT_TYPE.get(run),
                        n > 0 ? run.get(ValueLayout.JAVA_LONG, Run.SYSTEM_EVENT_DATA) : 0);
            }
            case ArmKvmAbi.KVM_EXIT_FAIL_ENTRY -> new FailEntry((long) Run.FAIL_REASON.get(run), (int) Run.FAIL_CPU.get(run));
            case ArmKvmAbi.KVM_EXIT_INTERNAL_ERROR -> new InternalError((int) Run.INTERNAL_SUBERROR.get(run));
            case ArmKvmAbi.KVM_EXIT_INTR -> Interrupted.INSTANCE;
            default -> new Unknown(reason);
        };
    }

    /**
     * The guest accessed {@code length} bytes at {@code address} outside any memory slot. For a read, the
     * VMM answers with {@link #complete(long)} before the next KVM_RUN.
     */
    final class Mmio implements VcpuExit {
        private final MemorySegment run;
        private final long address;
        private final int length;
        private final boolean write;

        Mmio(MemorySegment run, long address, int length, boolean write) {
            this.run = run;
            this.address = address;
            this.length = length;
            this.write = write;
        }

        public long address() {
            return address;
        }

        public int length() {
            return length;
        }

        public boolean isWrite() {
            return write;
        }

        /** The value written (little-endian, {@link #length()} bytes). */
        public long data() {
            long v = 0;
            for (int i = length - 1; i >= 0; i--) {
                v = v << 8 | (run.get(ValueLayout.JAVA_BYTE, Run.MMIO_DATA + i) & 0xff);
            }
            return v;
        }

        /** Answers a read with {@code value} (its low {@link #length()} bytes). */
        public void complete(long value) {
            for (int i = 0; i < 8; i++) {
                run.set(ValueLayout.JAVA_BYTE, Run.MMIO_DATA + i, i < length ? (byte) (value >>> (8 * i)) : 0);
            }
        }

        @Override
        public String toString() {
            return String.format("MMIO %s of %d bytes at 0x%x", write ? "write" : "read", length, address);
        }
    }

    /** PSCI SYSTEM_OFF, SYSTEM_RESET, or a crash report, from any vCPU. */
    final class SystemEvent implements VcpuExit {
        private final int type;
        private final long flags;

        SystemEvent(int type, long flags) {
            this.type = type;
            this.flags = flags;
        }

        public int type() {
            return type;
        }

        public long flags() {
            return flags;
        }

        public boolean isShutdown() {
            return type == ArmKvmAbi.KVM_SYSTEM_EVENT_SHUTDOWN;
        }

        @Override
        public String toString() {
            return switch (type) {
                case ArmKvmAbi.KVM_SYSTEM_EVENT_SHUTDOWN -> "the guest powered off (PSCI SYSTEM_OFF)";
                case ArmKvmAbi.KVM_SYSTEM_EVENT_RESET -> "the guest asked for a reset (PSCI SYSTEM_RESET), which this VMM does not do";
                case ArmKvmAbi.KVM_SYSTEM_EVENT_CRASH -> "the guest reported a crash";
                default -> "system event " + type + " (flags 0x" + Long.toHexString(flags) + ")";
            };
        }
    }

    /** KVM could not enter the guest. */
    final class FailEntry implements VcpuExit {
        private final long reason;
        private final int cpu;

        FailEntry(long reason, int cpu) {
            this.reason = reason;
            this.cpu = cpu;
        }

        public long reason() {
            return reason;
        }

        @Override
        public String toString() {
            return "KVM could not enter the guest on host CPU " + cpu + " (hardware reason 0x" + Long.toHexString(reason) + ")";
        }
    }

    /** KVM hit an internal error. */
    final class InternalError implements VcpuExit {
        private final int suberror;

        InternalError(int suberror) {
            this.suberror = suberror;
        }

        public int suberror() {
            return suberror;
        }

        @Override
        public String toString() {
            return "KVM internal error (suberror " + suberror + ")";
        }
    }

    /** KVM_RUN was interrupted (a stop request); not a guest event. */
    final class Interrupted implements VcpuExit {
        static final Interrupted INSTANCE = new Interrupted();

        private Interrupted() {
        }

        @Override
        public String toString() {
            return "interrupted";
        }
    }

    /** An exit reason the VMM does not handle. */
    final class Unknown implements VcpuExit {
        private final int reason;

        Unknown(int reason) {
            this.reason = reason;
        }

        public int reason() {
            return reason;
        }

        @Override
        public String toString() {
            return "unexpected KVM exit reason " + reason;
        }
    }
}
