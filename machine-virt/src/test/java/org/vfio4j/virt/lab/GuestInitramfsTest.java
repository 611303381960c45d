package org.vfio4j.virt.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the test guest's initramfs on any host: a newc archive with /init (the script) and /bin/busybox (the
 * bytes given), and an init that refuses to act when it is not PID 1 (run here by the host's {@code sh}, it never
 * mounts or powers off the build host). The guest itself boots in {@link Arm64KvmBootLabTest}.
 */
class GuestInitramfsTest {
    @Test
    void theGuestInitramfsHoldsInitAndBusyboxAndItsInitActsOnlyAsPidOne(@TempDir Path dir) throws Exception {
        Path busybox = dir.resolve("busybox");
        Files.writeString(busybox, "not really busybox");
        Path cpio = GuestInitramfs.build(busybox, dir.resolve("out/initramfs.cpio"));
        byte[] b = Files.readAllBytes(cpio);
        assertEquals("070701", new String(b, 0, 6, StandardCharsets.US_ASCII));
        String text = new String(b, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("dev/console\0") && text.contains("bin/busybox\0") && text.contains("init\0")
                && text.contains("not really busybox") && text.contains("VFIO4J-GUEST-MARKER")
                && text.contains("TRAILER!!!"), text);
        assertEquals(0, b.length % 4);
        Path init = dir.resolve("init");
        Files.write(init, GuestInitramfs.init());
        Process p = new ProcessBuilder("sh", init.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("not PID 1"), out);
    }

    @Test
    void aMissingBusyboxIsNamed(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class,
                () -> GuestInitramfs.build(dir.resolve("nope"), dir.resolve("initramfs.cpio")));
        assertTrue(e.getMessage().contains(dir.resolve("nope").toString()), e.getMessage());
    }
}
