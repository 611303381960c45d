package org.vfio4j.virt.kvm;

import java.util.List;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;

/**
 * The three VM ioctls interrupt routing is built from (KVM_SET_GSI_ROUTING, KVM_IRQFD assign / deassign).
 *
 * <p>Why an interface: {@link KvmIrqRouting}'s bookkeeping (GSI allocation, the table it must rewrite whole,
 * retargeting without a gap) is tested against a recording implementation on hosts without arm64 KVM;
 * {@link KvmVm} is the real one.
 */
interface IrqfdOps {
    /** KVM_SET_GSI_ROUTING with the whole table. */
    void setGsiRouting(List<GsiRoute> routes);

    /** KVM_IRQFD assign, with a resample eventfd for level lines. */
    void irqfd(EventFd trigger, int gsi, @Nullable EventFd resample);

    /** KVM_IRQFD deassign. */
    void irqfdDeassign(EventFd trigger, int gsi);
}
