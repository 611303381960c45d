package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Objects;

import org.junit.jupiter.api.Test;

class PreparedVmTest {
    @Test
    void aNonArm64HostIsToldWhereGuestsRun() {
        String p = Objects.requireNonNull(PreparedVm.hostProblem("amd64", true));
        assertTrue(p.contains("needs KVM on an arm64 host") && p.contains("amd64") && p.contains("aarch64 lab"), p);
    }

    @Test
    void anArm64HostWithoutDevKvmIsToldSo() {
        String p = Objects.requireNonNull(PreparedVm.hostProblem("aarch64", false));
        assertTrue(p.contains("/dev/kvm"), p);
        assertNull(PreparedVm.hostProblem("aarch64", true));
    }

    @Test
    void theIpaSpaceCoversTheHighPcieWindow() {
        assertEquals(40, PreparedVm.IPA_BITS, "the memory map ends at 1 TiB");
    }
}
