package org.vfio4j.virt.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.Native;
import org.vfio4j.virt.kvm.ArmKvmAbi.OneReg;
import org.vfio4j.virt.kvm.ArmKvmAbi.Run;
import org.vfio4j.virt.kvm.ArmKvmAbi.VcpuInit;

/**
 * One arm64 vCPU (the vCPU fd and its mmapped {@code kvm_run}): init, registers, run — one method per ioctl,
 * as rust-vmm's {@code VcpuFd}.
 *
 * <p>Why the exit is read from the shared {@code kvm_run} page: that is where the kernel writes why
 * {@code KVM_RUN} returned and where the VMM answers an MMIO read; {@link VcpuExit#decode} turns it into a
 * sealed value. Everything but {@link #requestStop()} is for the vCPU's own thread.
 */
public final class KvmVcpu implements AutoCloseable {
    private final int fd;
    private final int id;
    private final MemorySegment run;
    private volatile boolean closed;

    private KvmVcpu(int fd, int id, MemorySegment run) {
        this.fd = fd;
        this.id = id;
        this.run = run;
    }

    static KvmVcpu map(int fd, int id, int size) {
        long addr = Native.mmap(size, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
        if (Native.failed(addr)) {
            Native.close(fd);
            throw new KvmException("mmap of vCPU " + id + "'s kvm_run (" + size + " bytes)", (int) -addr, "");
        }
        return new KvmVcpu(fd, id, MemorySegment.ofAddress(addr).reinterpret(size));
    }

    private int fd() {
        if (closed) {
            throw new IllegalStateException("vCPU " + id + " is closed");
        }
        return fd;
    }

    /** The vCPU index (its MPIDR affinity as KVM assigns it). */
    public int id() {
        return id;
    }

    /** The {@code kvm_run} page (exit data; MMIO read replies go into it). */
    public MemorySegment runPage() {
        fd();
        return run;
    }

    /**
     * KVM_ARM_VCPU_INIT with {@code target} and the feature bits of the first feature word
     * (e.g. {@code 1 << KVM_ARM_VCPU_PSCI_0_2 | 1 << KVM_ARM_VCPU_POWER_OFF}).
     */
    public void init(int target, int features) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment init = a.allocate(VcpuInit.LAYOUT);
            VcpuInit.TARGET.set(init, target);
            init.set(ValueLayout.JAVA_INT, VcpuInit.FEATURES, features);
            int r = Native.ioctl(fd(), ArmKvmAbi.KVM_ARM_VCPU_INIT, init);
            if (r < 0) {
                throw new KvmException("KVM_ARM_VCPU_INIT(vCPU " + id + ", target " + target + ", features 0x"
                        + Integer.toHexString(features) + ")", -r, -r == Errno.EINVAL
                                ? "the host does not support the target or a feature (PSCI 0.2 needs KVM_CAP_ARM_PSCI_0_2)" : "");
            }
        }
    }

    /** KVM_SET_ONE_REG of a 64-bit register ({@link ArmKvmAbi#REG_PC} and friends). */
    public void setOneReg(long regId, long value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_LONG);
            v.set(ValueLayout.JAVA_LONG, 0, value);
            int r = Native.ioctl(fd(), ArmKvmAbi.KVM_SET_ONE_REG, oneReg(a, regId, v));
            if (r < 0) {
                throw new KvmException("KVM_SET_ONE_REG(vCPU " + id + ", 0x" + Long.toHexString(regId) + ")", -r,
                        "registers can be set only after KVM_ARM_VCPU_INIT");
            }
        }
    }

    /** KVM_GET_ONE_REG of a 64-bit register. */
    public long getOneReg(long regId) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_LONG);
            int r = Native.ioctl(fd(), ArmKvmAbi.KVM_GET_ONE_REG, oneReg(a, regId, v));
            if (r < 0) {
                throw new KvmException("KVM_GET_ONE_REG(vCPU " + id + ", 0x" + Long.toHexString(regId) + ")", -r, "");
            }
            return v.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private static MemorySegment oneReg(Arena a, long regId, MemorySegment value) {
        MemorySegment s = a.allocate(OneReg.LAYOUT);
        OneReg.ID.set(s, regId);
        OneReg.ADDR.set(s, value.address());
        return s;
    }

    /** KVM_SET_SIGNAL_MASK: the (kernel) signal mask in force while this vCPU is in KVM_RUN. */
    public void setSignalMask(long kernelSigset) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(4 + KvmSys.KERNEL_SIGSET_BYTES, 8);
            m.set(ValueLayout.JAVA_INT, 0, (int) KvmSys.KERNEL_SIGSET_BYTES);
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, 4, kernelSigset);
            int r = Native.ioctl(fd(), ArmKvmAbi.KVM_SET_SIGNAL_MASK, m);
            if (r < 0) {
                throw new KvmException("KVM_SET_SIGNAL_MASK(vCPU " + id + ")", -r, "");
            }
        }
    }

    /**
     * KVM_RUN once: returns the decoded exit. EINTR (a stop request, or {@code immediate_exit}) is
     * {@link VcpuExit.Interrupted}; any other failure throws.
     */
    public VcpuExit run() {
        int r = KvmSys.ioctlOnce(fd(), ArmKvmAbi.KVM_RUN, 0L);
        if (r < 0) {
            if (-r == Errno.EINTR || -r == Errno.EAGAIN) {
                return VcpuExit.Interrupted.INSTANCE;
            }
            throw new KvmException("KVM_RUN(vCPU " + id + ")", -r, -r == 8 /* ENOEXEC */
                    ? "the vCPU was not initialised (KVM_ARM_VCPU_INIT)" : -r == Errno.EFAULT
                            ? "the guest touched memory no slot backs" : "");
        }
        return VcpuExit.decode(run);
    }

    /**
     * Sets {@code immediate_exit} so the next (or current, once signalled) KVM_RUN returns EINTR. Safe from
     * any thread.
     */
    public void requestStop() {
        if (!closed) {
            Run.IMMEDIATE_EXIT.setVolatile(run, (byte) 1);
        }
    }

    /**
     * Clears {@code immediate_exit} before the vCPU's own thread runs again after a pause; a stop requested
     * after this call still takes effect at the next KVM_RUN.
     */
    public void clearStopRequest() {
        if (!closed) {
            Run.IMMEDIATE_EXIT.setVolatile(run, (byte) 0);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.munmap(run.address(), run.byteSize());
            Native.close(fd);
        }
    }

    @Override
    public String toString() {
        return "vCPU " + id;
    }
}
