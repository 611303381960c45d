package org.vfio4j.virt.kvm;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;

/**
 * {@code /dev/kvm}: the system fd. Answers the API version, capability checks and the vCPU mmap size, and
 * creates VMs.
 *
 * <p>Why a class of its own (rust-vmm's {@code Kvm}): the system fd outlives nothing but the VM creation;
 * asking capabilities before creating anything lets the runner refuse early with a clear message.
 *
 * {@snippet :
 * try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm(40)) {
 *     KvmVcpu cpu = vm.createVcpu(0);
 * }
 * }
 */
public final class Kvm implements AutoCloseable {
    /** The device node. */
    public static final String PATH = "/dev/kvm";

    private final int fd;
    private volatile boolean closed;

    private Kvm(int fd) {
        this.fd = fd;
    }

    /**
     * Opens {@code /dev/kvm} and checks the API version.
     *
     * @throws KvmException naming why (no KVM on this host, permission, wrong API)
     */
    public static Kvm open() {
        int fd = Native.open(PATH, Native.O_RDWR | Native.O_CLOEXEC);
        if (fd < 0) {
            int e = -fd;
            throw new KvmException("open " + PATH, e, switch (e) {
                case Errno.ENOENT -> "this host has no KVM; run on an arm64 host with KVM (e.g. ./vfio4j lab run --arch aarch64 -- ...)";
                case Errno.EACCES, Errno.EPERM -> "no permission; run as root or add yourself to the kvm group";
                default -> "check that the kvm module is loaded (dmesg | grep -i kvm)";
            });
        }
        Kvm kvm = new Kvm(fd);
        int v = kvm.apiVersion();
        if (v != ArmKvmAbi.KVM_API_VERSION) {
            kvm.close();
            throw KvmException.refused("KVM_GET_API_VERSION", "the kernel speaks KVM API " + v + ", this VMM needs "
                    + ArmKvmAbi.KVM_API_VERSION);
        }
        return kvm;
    }

    private int fd() {
        if (closed) {
            throw new IllegalStateException(this + " is closed; open a new one");
        }
        return fd;
    }

    /** KVM_GET_API_VERSION (12 on every kernel since 2.6.22). */
    public int apiVersion() {
        int r = Native.ioctl(fd(), ArmKvmAbi.KVM_GET_API_VERSION, 0L);
        if (r < 0) {
            throw new KvmException("KVM_GET_API_VERSION", -r, "");
        }
        return r;
    }

    /** KVM_CHECK_EXTENSION on the system fd: 0 when absent, otherwise the capability's value. */
    public int checkExtension(int cap) {
        int r = Native.ioctl(fd(), ArmKvmAbi.KVM_CHECK_EXTENSION, cap);
        return Math.max(r, 0);
    }

    /** KVM_GET_VCPU_MMAP_SIZE: the size of each vCPU's {@code kvm_run} mapping. */
    public int vcpuMmapSize() {
        int r = Native.ioctl(fd(), ArmKvmAbi.KVM_GET_VCPU_MMAP_SIZE, 0L);
        if (r < 0) {
            throw new KvmException("KVM_GET_VCPU_MMAP_SIZE", -r, "");
        }
        return r;
    }

    /**
     * KVM_CREATE_VM with an IPA (guest physical address) space of at least {@code ipaBits}.
     *
     * <p>With KVM_CAP_ARM_VM_IPA_SIZE the type asks for exactly {@code ipaBits} (at least 32); without it the
     * kernel's fixed 40 bits must suffice.
     */
    public KvmVm createVm(int ipaBits) {
        int max = checkExtension(ArmKvmAbi.KVM_CAP_ARM_VM_IPA_SIZE);
        long type;
        if (max == 0) {
            if (ipaBits > 40) {
                throw KvmException.refused("KVM_CREATE_VM", "the machine needs a " + ipaBits
                        + "-bit guest physical address space, this kernel offers 40; use less RAM");
            }
            type = 0;
        } else {
            if (ipaBits > max) {
                throw KvmException.refused("KVM_CREATE_VM", "the machine needs a " + ipaBits
                        + "-bit guest physical address space, this host's KVM offers " + max + "; use less RAM");
            }
            type = Math.max(ipaBits, 32) & 0xff;
        }
        int vm = Native.ioctl(fd(), ArmKvmAbi.KVM_CREATE_VM, type);
        if (vm < 0) {
            throw new KvmException("KVM_CREATE_VM (IPA " + ipaBits + " bits)", -vm,
                    -vm == Errno.EINVAL ? "the kernel refused the IPA size; this host's KVM may lack arm64 IPA support"
                            : "is KVM initialised? dmesg | grep kvm should say 'Hyp mode initialized' or 'VHE mode initialized'");
        }
        return new KvmVm(this, vm, vcpuMmapSize());
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.close(fd);
        }
    }

    @Override
    public String toString() {
        return "Kvm(" + PATH + ")";
    }
}
