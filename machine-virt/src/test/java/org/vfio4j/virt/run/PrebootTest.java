package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.virt.MachineConfig;

/** Off an arm64 KVM host the preboot's first step refuses, and the joiner gets the runner's line and status. */
class PrebootTest {
    private static MachineConfig config(Path dir) throws Exception {
        Path k = Files.write(dir.resolve("Image"), new byte[4096]);
        return new MachineConfig(256L << 20, 2, k, null, "", List.of(), null, List.of());
    }

    private static void assumeNoArm64Kvm() {
        assumeTrue(PreparedVm.hostProblem(System.getProperty("os.arch", "?"), Files.exists(Path.of("/dev/kvm"))) != null,
                "this host can run guests; the aarch64 lab tests cover it");
    }

    @Test
    void theJoinerGetsTheHostRefusalWithStatusOne(@TempDir Path dir) throws Exception {
        assumeNoArm64Kvm();
        MachineConfig config = config(dir);
        for (Preboot p : List.of(Preboot.start(config), Preboot.onDemand(config))) {
            try (p) {
                Preboot.Failure f = assertThrows(Preboot.Failure.class, p::join);
                assertEquals(1, f.outcome().status());
                assertTrue(f.outcome().message().startsWith("vfio4j virt: running a guest needs KVM on an arm64 host"),
                        f.outcome().message());
                assertThrows(IllegalStateException.class, p::join, "one joiner");
            }
        }
    }
}
