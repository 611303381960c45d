package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The newc cpio layout the kernel's initramfs unpacker expects. */
class NewcTest {
    @Test
    void entriesAreFourByteAlignedWithHexHeadersAndATrailer() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (Newc c = new Newc(b)) {
            c.file("init", 0755, "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII));
            c.charDevice("dev/console", 0600, 5, 1);
        }
        byte[] a = b.toByteArray();
        String s = new String(a, StandardCharsets.ISO_8859_1);
        assertEquals(0, a.length % 4);
        assertTrue(s.startsWith("070701"));
        assertEquals("000081ed", s.substring(14, 22), "mode of a 0755 regular file");
        assertEquals("0000000a", s.substring(54, 62), "file size");
        int console = s.indexOf("070701", 6);
        assertEquals("00002180", s.substring(console + 14, console + 22), "mode of a 0600 char device");
        assertEquals("00000005", s.substring(console + 6 + 8 * 9, console + 6 + 8 * 10), "rdev major");
        assertEquals("00000001", s.substring(console + 6 + 8 * 10, console + 6 + 8 * 11), "rdev minor");
        assertTrue(s.contains("TRAILER!!!\0"));
    }

    @Test
    void aClosedArchiveRefusesEntries() throws Exception {
        Newc c = new Newc(new ByteArrayOutputStream());
        c.close();
        assertThrows(IllegalStateException.class, () -> c.dir("x"));
    }
}
