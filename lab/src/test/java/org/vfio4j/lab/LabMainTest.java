package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Command-line mistakes are caught before any lab host boots, with a message saying what to do. */
class LabMainTest {
    private static String error(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> LabMain.run(List.of(args))).getMessage();
    }

    @Test
    void badOptionsAreNamed() {
        assertTrue(error("run", "--memory", "3X", "--", "true").contains("--memory wants a size"));
        assertTrue(error("run", "--timeout", "-1", "--", "true").contains("--timeout wants a positive number"));
        assertTrue(error("run", "--device", "-x", "--", "true").contains("--device wants a QEMU device spec"));
        assertTrue(error("run", "--frobnicate", "1", "--", "true").contains("unknown option '--frobnicate'"));
        assertTrue(error("run", "--timeout").contains("--timeout needs a value"));
        assertTrue(error("run", "--").contains("no command"));
        assertTrue(error("run", "true").contains("put the command after '--'"));
        assertTrue(error("fly").contains("unknown lab command 'fly'"));
        assertTrue(error("prepare", "now").contains("takes no arguments"));
    }

    @Test
    void helpIsNotAnError() {
        assertEquals(0, LabMain.run(List.of("help")));
    }

    @Test
    void shellQuotingSurvivesQuotes() {
        assertEquals("'it'\\''s'", Lab.quote("it's"));
    }
}
