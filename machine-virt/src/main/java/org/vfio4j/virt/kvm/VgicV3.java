package org.vfio4j.virt.kvm;

/**
 * The in-kernel GICv3 (distributor + redistributors) and its ITS, created through KVM_CREATE_DEVICE and
 * placed at the machine's addresses, so interrupts (timer PPIs, SPIs from KVM_IRQ_LINE and irqfds, MSIs
 * through the ITS) never need user space.
 *
 * <p>Why after the vCPUs: KVM sizes the redistributors by the vCPUs that exist when CTRL_INIT runs, so
 * {@link #create} must be called once every vCPU has been created.
 */
public final class VgicV3 implements AutoCloseable {
    private final KvmDevice gic;
    private final KvmDevice its;

    private VgicV3(KvmDevice gic, KvmDevice its) {
        this.gic = gic;
        this.its = its;
    }

    /**
     * Creates and initialises the vGICv3 with {@code nrIrqs} interrupt IDs (SGIs + PPIs + SPIs, a multiple
     * of 32) and the ITS.
     */
    public static VgicV3 create(KvmVm vm, long distBase, long redistBase, int nrIrqs, long itsBase) {
        if (nrIrqs % 32 != 0 || nrIrqs < 64 || nrIrqs > 1024) {
            throw new IllegalArgumentException("the vGIC needs 64..1024 interrupt IDs in multiples of 32, not " + nrIrqs);
        }
        KvmDevice gic = vm.createDevice(ArmKvmAbi.KVM_DEV_TYPE_ARM_VGIC_V3);
        gic.setAttrU64(ArmKvmAbi.KVM_DEV_ARM_VGIC_GRP_ADDR, ArmKvmAbi.KVM_VGIC_V3_ADDR_TYPE_DIST, distBase);
        gic.setAttrU64(ArmKvmAbi.KVM_DEV_ARM_VGIC_GRP_ADDR, ArmKvmAbi.KVM_VGIC_V3_ADDR_TYPE_REDIST, redistBase);
        gic.setAttrU32(ArmKvmAbi.KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, nrIrqs);
        gic.setAttr(ArmKvmAbi.KVM_DEV_ARM_VGIC_GRP_CTRL, ArmKvmAbi.KVM_DEV_ARM_VGIC_CTRL_INIT);
        KvmDevice its = vm.createDevice(ArmKvmAbi.KVM_DEV_TYPE_ARM_VGIC_ITS);
        its.setAttrU64(ArmKvmAbi.KVM_DEV_ARM_VGIC_GRP_ADDR, ArmKvmAbi.KVM_VGIC_ITS_ADDR_TYPE, itsBase);
        its.setAttr(ArmKvmAbi.KVM_DEV_ARM_VGIC_GRP_CTRL, ArmKvmAbi.KVM_DEV_ARM_VGIC_CTRL_INIT);
        return new VgicV3(gic, its);
    }

    /** The GIC device (distributor/redistributor attributes). */
    public KvmDevice gic() {
        return gic;
    }

    /** The ITS device. */
    public KvmDevice its() {
        return its;
    }

    /** Closes both device fds (the VM also closes them when it closes). */
    @Override
    public void close() {
        its.close();
        gic.close();
    }
}
