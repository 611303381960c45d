package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code -device vfio-pci} mistakes that need no lab: exit 2, one line, before anything is opened. */
class VfioPciOptionErrorsTest {
    private String kernel = "";

    @BeforeEach
    void kernel(@TempDir Path tmp) throws IOException {
        kernel = MainHarness.dummyKernel(tmp).toString();
    }

    private void refused(String expected, String device) {
        MainHarness.Run r = MainHarness.run("-kernel", kernel, "-device", device);
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in:\n" + r);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace:\n" + r);
    }

    @Test
    void hostIsRequired() {
        refused("host", "vfio-pci");
    }

    @Test
    void aMalformedAddressSaysWhatAnAddressLooksLike() {
        refused("vfio-pci property host=zz is not valid; use a PCI address DDDD:BB:DD.F or BB:DD.F", "vfio-pci,host=zz");
    }

    @Test
    void aDeviceThisHostLacksIsNamed() {
        refused("no PCI device 0000:7e:1f.7 on this host", "vfio-pci,host=7e:1f.7");
    }

    @Test
    void helpListsTheProperties() {
        MainHarness.Run r = MainHarness.run("-device", "vfio-pci,help");
        assertEquals(0, r.status(), r.toString());
        for (String p : new String[] {"host=<str>", "rombar=<uint64>", "x-no-mmap=<bool>", "x-intx=<bool>",
                "x-intx-mmap-timeout-ms=<uint64>"}) {
            assertTrue(r.out().contains(p), p + " in:\n" + r);
        }
    }
}
