package org.vfio4j.common.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.common.KvmVfioDevice;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.sys.Errno;
import org.vfio4j.common.sys.KvmAbi;
import org.vfio4j.common.sys.Native;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/** The KVM-VFIO pseudo-device on a real VM (kvm-amd under TCG in the x86 lab). */
@LabTest
class KvmVfioLabTest {
    @Test
    void groupRegistrationWithAVm(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        int kvm = Native.open("/dev/kvm", Native.O_RDWR | Native.O_CLOEXEC);
        assertTrue(kvm >= 0, "/dev/kvm: " + Errno.describe(-kvm));
        try {
            assertEquals(KvmAbi.KVM_API_VERSION, Native.ioctl(kvm, KvmAbi.KVM_GET_API_VERSION, 0L));
            int vm = Native.ioctl(kvm, KvmAbi.KVM_CREATE_VM, 0L);
            assertTrue(vm >= 0, "KVM_CREATE_VM: " + Errno.describe(-vm));
            try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group);
                    KvmVfioDevice kv = KvmVfioDevice.create(vm)) {
                kv.add(g);
                assertEquals(List.of(g), kv.groups());
                VfioException again = assertThrows(VfioException.class, () -> kv.add(g));
                assertEquals(Errno.EEXIST, again.errno(), "the kernel really holds the group: " + again.getMessage());
                kv.remove(g);
                VfioException gone = assertThrows(VfioException.class, () -> kv.remove(g));
                assertEquals(Errno.ENOENT, gone.errno(), gone.getMessage());
                kv.add(g); // left registered: close() must remove it
            } finally {
                Native.close(vm);
            }
            VfioException notVm = assertThrows(VfioException.class, () -> KvmVfioDevice.create(kvm));
            assertTrue(notVm.getMessage().contains("KVM_CREATE_DEVICE"), notVm.getMessage());
        } finally {
            Native.close(kvm);
        }
    }
}
