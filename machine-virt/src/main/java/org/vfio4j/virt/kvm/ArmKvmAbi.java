package org.vfio4j.virt.kvm;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.vfio4j.common.sys.Layouts.field;

import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.List;

import org.vfio4j.common.sys.Ioctl;
import org.vfio4j.common.sys.KvmAbi;

/**
 * The slice of arm64 {@code linux/kvm.h} a VMM needs: struct layouts (with VarHandles derived once), ioctl
 * numbers computed from those layouts, capability numbers, exit reasons and the arm64 register ids.
 *
 * <p>Why its own table next to vfio-common's {@link KvmAbi}: that one holds only what VFIO needs (KVM-VFIO
 * device, irqfd); running vCPUs is the machine's business. {@code ArmKvmAbiHeaderTest} compiles a C program
 * against the real arm64 headers ({@code /usr/aarch64-linux-gnu/include}) and compares every value here.
 */
public final class ArmKvmAbi {
    private ArmKvmAbi() {
    }

    private static final int KVMIO = 0xAE;

    /** {@code struct kvm_userspace_memory_region}. */
    public static final class MemoryRegion {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("slot"), JAVA_INT.withName("flags"),
                JAVA_LONG.withName("guest_phys_addr"), JAVA_LONG.withName("memory_size"),
                JAVA_LONG.withName("userspace_addr")).withName("kvm_userspace_memory_region");
        public static final VarHandle SLOT = field(LAYOUT, "slot"), FLAGS = field(LAYOUT, "flags"),
                GUEST_PHYS_ADDR = field(LAYOUT, "guest_phys_addr"), MEMORY_SIZE = field(LAYOUT, "memory_size"),
                USERSPACE_ADDR = field(LAYOUT, "userspace_addr");
    }

    /** {@code struct kvm_vcpu_init}: target and seven feature words. */
    public static final class VcpuInit {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("target"),
                sequenceLayout(7, JAVA_INT).withName("features")).withName("kvm_vcpu_init");
        public static final VarHandle TARGET = field(LAYOUT, "target");
        public static final long FEATURES = 4;
    }

    /** {@code struct kvm_one_reg}. */
    public static final class OneReg {
        public static final StructLayout LAYOUT = structLayout(JAVA_LONG.withName("id"), JAVA_LONG.withName("addr"))
                .withName("kvm_one_reg");
        public static final VarHandle ID = field(LAYOUT, "id"), ADDR = field(LAYOUT, "addr");
    }

    /** {@code struct kvm_irq_level} (the {@code irq}/{@code status} union as {@code irq}). */
    public static final class IrqLevel {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("irq"), JAVA_INT.withName("level"))
                .withName("kvm_irq_level");
        public static final VarHandle IRQ = field(LAYOUT, "irq"), LEVEL = field(LAYOUT, "level");
    }

    /** {@code struct kvm_irq_routing} header; entries follow it. */
    public static final class IrqRouting {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("nr"), JAVA_INT.withName("flags"))
                .withName("kvm_irq_routing");
        public static final VarHandle NR = field(LAYOUT, "nr"), FLAGS = field(LAYOUT, "flags");
    }

    /** {@code struct kvm_irq_routing_entry} with the irqchip and msi members of its union. */
    public static final class RoutingEntry {
        public static final StructLayout LAYOUT = structLayout(JAVA_INT.withName("gsi"), JAVA_INT.withName("type"),
                JAVA_INT.withName("flags"), JAVA_INT.withName("pad"),
                unionLayout(
                        structLayout(JAVA_INT.withName("irqchip"), JAVA_INT.withName("pin")).withName("irqchip"),
                        structLayout(JAVA_INT.withName("address_lo"), JAVA_INT.withName("address_hi"),
                                JAVA_INT.withName("data"), JAVA_INT.withName("devid")).withName("msi"),
                        sequenceLayout(8, JAVA_INT).withName("pad")).withName("u"))
                .withName("kvm_irq_routing_entry");
        public static final VarHandle GSI = field(LAYOUT, "gsi"), TYPE = field(LAYOUT, "type"),
                FLAGS = field(LAYOUT, "flags"), IRQCHIP = field(LAYOUT, "u.irqchip.irqchip"),
                PIN = field(LAYOUT, "u.irqchip.pin"), ADDRESS_LO = field(LAYOUT, "u.msi.address_lo"),
                ADDRESS_HI = field(LAYOUT, "u.msi.address_hi"), DATA = field(LAYOUT, "u.msi.data"),
                DEVID = field(LAYOUT, "u.msi.devid");
    }

    /** {@code struct kvm_run} with the exit members the VMM decodes (mmio, system_event, fail_entry, internal). */
    public static final class Run {
        public static final StructLayout LAYOUT = structLayout(JAVA_BYTE.withName("request_interrupt_window"),
                JAVA_BYTE.withName("immediate_exit"), sequenceLayout(6, JAVA_BYTE).withName("padding1"),
                JAVA_INT.withName("exit_reason"), JAVA_BYTE.withName("ready_for_interrupt_injection"),
                JAVA_BYTE.withName("if_flag"), JAVA_SHORT.withName("flags"), JAVA_LONG.withName("cr8"),
                JAVA_LONG.withName("apic_base"),
                unionLayout(
                        structLayout(JAVA_LONG.withName("phys_addr"), sequenceLayout(8, JAVA_BYTE).withName("data"),
                                JAVA_INT.withName("len"), JAVA_BYTE.withName("is_write"),
                                paddingLayout(3)).withName("mmio"),
                        structLayout(JAVA_INT.withName("type"), JAVA_INT.withName("ndata"),
                                sequenceLayout(16, JAVA_LONG).withName("data")).withName("system_event"),
                        structLayout(JAVA_LONG.withName("hardware_entry_failure_reason"), JAVA_INT.withName("cpu"),
                                paddingLayout(4)).withName("fail_entry"),
                        structLayout(JAVA_INT.withName("suberror"), JAVA_INT.withName("ndata"),
                                sequenceLayout(16, JAVA_LONG).withName("data")).withName("internal"),
                        sequenceLayout(256, JAVA_BYTE).withName("padding")).withName(""),
                JAVA_LONG.withName("kvm_valid_regs"), JAVA_LONG.withName("kvm_dirty_regs"),
                sequenceLayout(2048, JAVA_BYTE).withName("s")).withName("kvm_run");
        public static final VarHandle IMMEDIATE_EXIT = field(LAYOUT, "immediate_exit"),
                EXIT_REASON = field(LAYOUT, "exit_reason"),
                MMIO_PHYS_ADDR = field(LAYOUT, ".mmio.phys_addr"), MMIO_LEN = field(LAYOUT, ".mmio.len"),
                MMIO_IS_WRITE = field(LAYOUT, ".mmio.is_write"),
                SYSTEM_EVENT_TYPE = field(LAYOUT, ".system_event.type"),
                SYSTEM_EVENT_NDATA = field(LAYOUT, ".system_event.ndata"),
                FAIL_REASON = field(LAYOUT, ".fail_entry.hardware_entry_failure_reason"),
                FAIL_CPU = field(LAYOUT, ".fail_entry.cpu"),
                INTERNAL_SUBERROR = field(LAYOUT, ".internal.suberror"),
                INTERNAL_NDATA = field(LAYOUT, ".internal.ndata");
        /** Byte offsets of the arrays (VarHandles address scalars). */
        public static final long MMIO_DATA = org.vfio4j.common.sys.Layouts.offset(LAYOUT, ".mmio.data"),
                SYSTEM_EVENT_DATA = org.vfio4j.common.sys.Layouts.offset(LAYOUT, ".system_event.data"),
                INTERNAL_DATA = org.vfio4j.common.sys.Layouts.offset(LAYOUT, ".internal.data");
    }

    public static final long KVM_GET_API_VERSION = KvmAbi.KVM_GET_API_VERSION;
    public static final long KVM_CREATE_VM = KvmAbi.KVM_CREATE_VM;
    public static final long KVM_CHECK_EXTENSION = KvmAbi.KVM_CHECK_EXTENSION;
    public static final long KVM_GET_VCPU_MMAP_SIZE = Ioctl.io(KVMIO, 0x04);
    public static final long KVM_CREATE_VCPU = Ioctl.io(KVMIO, 0x41);
    public static final long KVM_SET_USER_MEMORY_REGION = Ioctl.iow(KVMIO, 0x46, MemoryRegion.LAYOUT.byteSize());
    public static final long KVM_IRQ_LINE = Ioctl.iow(KVMIO, 0x61, IrqLevel.LAYOUT.byteSize());
    public static final long KVM_SET_GSI_ROUTING = Ioctl.iow(KVMIO, 0x6a, IrqRouting.LAYOUT.byteSize());
    public static final long KVM_IRQFD = KvmAbi.KVM_IRQFD;
    public static final long KVM_RUN = Ioctl.io(KVMIO, 0x80);
    /** {@code _IOW(KVMIO, 0x8b, struct kvm_signal_mask)}: a 4-byte header ({@code len}) before the set. */
    public static final long KVM_SET_SIGNAL_MASK = Ioctl.iow(KVMIO, 0x8b, 4);
    public static final long KVM_GET_ONE_REG = Ioctl.iow(KVMIO, 0xab, OneReg.LAYOUT.byteSize());
    public static final long KVM_SET_ONE_REG = Ioctl.iow(KVMIO, 0xac, OneReg.LAYOUT.byteSize());
    public static final long KVM_ARM_VCPU_INIT = Ioctl.iow(KVMIO, 0xae, VcpuInit.LAYOUT.byteSize());
    public static final long KVM_ARM_PREFERRED_TARGET = Ioctl.ior(KVMIO, 0xaf, VcpuInit.LAYOUT.byteSize());
    public static final long KVM_CREATE_DEVICE = KvmAbi.KVM_CREATE_DEVICE;
    public static final long KVM_SET_DEVICE_ATTR = KvmAbi.KVM_SET_DEVICE_ATTR;
    public static final long KVM_HAS_DEVICE_ATTR = KvmAbi.KVM_HAS_DEVICE_ATTR;

    public static final int KVM_API_VERSION = 12;
    public static final int KVM_CAP_IRQ_ROUTING = 25, KVM_CAP_IRQFD = 32, KVM_CAP_IRQFD_RESAMPLE = 82,
            KVM_CAP_DEVICE_CTRL = 89, KVM_CAP_ARM_PSCI_0_2 = 102, KVM_CAP_MSI_DEVID = 131,
            KVM_CAP_IMMEDIATE_EXIT = 136, KVM_CAP_ARM_VM_IPA_SIZE = 165;

    public static final int KVM_EXIT_UNKNOWN = 0, KVM_EXIT_MMIO = 6, KVM_EXIT_SHUTDOWN = 8,
            KVM_EXIT_FAIL_ENTRY = 9, KVM_EXIT_INTR = 10, KVM_EXIT_INTERNAL_ERROR = 17, KVM_EXIT_SYSTEM_EVENT = 24;
    public static final int KVM_SYSTEM_EVENT_SHUTDOWN = 1, KVM_SYSTEM_EVENT_RESET = 2, KVM_SYSTEM_EVENT_CRASH = 3;

    public static final int KVM_ARM_VCPU_POWER_OFF = 0, KVM_ARM_VCPU_PSCI_0_2 = 2;
    public static final int KVM_ARM_IRQ_TYPE_SHIFT = 24, KVM_ARM_IRQ_TYPE_SPI = 1;
    public static final int KVM_IRQ_ROUTING_IRQCHIP = 1, KVM_IRQ_ROUTING_MSI = 2, KVM_MSI_VALID_DEVID = 1;
    public static final int KVM_IRQFD_FLAG_DEASSIGN = KvmAbi.KVM_IRQFD_FLAG_DEASSIGN,
            KVM_IRQFD_FLAG_RESAMPLE = KvmAbi.KVM_IRQFD_FLAG_RESAMPLE;

    public static final int KVM_DEV_TYPE_ARM_VGIC_V3 = 7, KVM_DEV_TYPE_ARM_VGIC_ITS = 8;
    public static final int KVM_DEV_ARM_VGIC_GRP_ADDR = 0, KVM_DEV_ARM_VGIC_GRP_NR_IRQS = 3,
            KVM_DEV_ARM_VGIC_GRP_CTRL = 4, KVM_DEV_ARM_VGIC_CTRL_INIT = 0;
    public static final int KVM_VGIC_V3_ADDR_TYPE_DIST = 2, KVM_VGIC_V3_ADDR_TYPE_REDIST = 3,
            KVM_VGIC_ITS_ADDR_TYPE = 4;

    /** Register id space: {@code KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE}. */
    public static final long KVM_REG_ARM64 = 0x6000_0000_0000_0000L, KVM_REG_SIZE_U64 = 0x0030_0000_0000_0000L,
            KVM_REG_ARM_CORE = 0x0010L << 16;
    private static final long CORE = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE;

    /**
     * Core register id of X{@code n}: {@code offsetof(struct kvm_regs, regs.regs[n]) / 4} in the low bits
     * ({@code struct user_pt_regs} is 31 X registers, sp, pc, pstate, all u64).
     */
    public static long coreRegX(int n) {
        if (n < 0 || n > 30) {
            throw new IllegalArgumentException("X" + n + " is not an arm64 general register (X0..X30)");
        }
        return CORE | (n * 2L);
    }

    public static final long REG_X0 = coreRegX(0), REG_X1 = coreRegX(1), REG_X2 = coreRegX(2), REG_X3 = coreRegX(3);
    public static final long REG_SP = CORE | 62, REG_PC = CORE | 64, REG_PSTATE = CORE | 66;

    /** PSTATE at kernel entry: EL1h (SPSel = 1) with D, A, I and F masked, as booting.rst requires. */
    public static final long PSTATE_EL1H_DAIF_MASKED = 0x3c5;

    /** Every struct layout above, for the header check. */
    public static final List<StructLayout> STRUCTS = List.of(MemoryRegion.LAYOUT, VcpuInit.LAYOUT, OneReg.LAYOUT,
            IrqLevel.LAYOUT, IrqRouting.LAYOUT, RoutingEntry.LAYOUT, Run.LAYOUT, KvmAbi.Irqfd.LAYOUT,
            KvmAbi.DeviceAttr.LAYOUT, KvmAbi.CreateDevice.LAYOUT);
}
