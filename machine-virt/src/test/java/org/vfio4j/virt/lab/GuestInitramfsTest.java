package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Builds the aarch64 lab's test guest on the build host (where the cross compiler is) and checks it: a newc
 * archive with /init, and an init that is a real arm64 program (run under qemu-aarch64-static it refuses to act
 * because it is not PID 1 — it never mounts or powers off the build host).
 */
class GuestInitramfsTest {
    @Test
    void theGuestInitramfsIsBuiltAndItsInitIsAnArm64Program() throws Exception {
        Path cpio = GuestInitramfs.build();
        byte[] b = Files.readAllBytes(cpio);
        assertEquals("070701", new String(b, 0, 6, StandardCharsets.US_ASCII));
        String text = new String(b, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("dev/console\0") && text.contains("init\0") && text.endsWith("\0") && text.contains("TRAILER!!!"));
        assertEquals(0, b.length % 4);
        Process p = new ProcessBuilder("qemu-aarch64-static", GuestInitramfs.INIT.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("not PID 1"), out);
    }
}
