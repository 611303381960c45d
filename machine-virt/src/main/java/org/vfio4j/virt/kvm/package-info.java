/**
 * KVM on arm64 through the FFM API, in the shape of rust-vmm's kvm-ioctls: one class per kernel object
 * ({@link org.vfio4j.virt.kvm.Kvm}, {@link org.vfio4j.virt.kvm.KvmVm}, {@link org.vfio4j.virt.kvm.KvmVcpu},
 * {@link org.vfio4j.virt.kvm.KvmDevice}), one method per ioctl, struct layouts in {@link org.vfio4j.virt.kvm.ArmKvmAbi}.
 */
@NonNullByDefault
package org.vfio4j.virt.kvm;

import org.eclipse.jdt.annotation.NonNullByDefault;
