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
        assertTrue(error("prepare", "now").contains("takes only '--arch x86_64|aarch64'"));
        assertTrue(error("prepare", "--arch", "sparc").contains("--arch wants x86_64 or aarch64, not 'sparc'"));
        assertTrue(error("run", "--arch", "riscv", "--", "true").contains("--arch wants x86_64 or aarch64"));
        assertTrue(error("run", "--memory", "3G", "--arch", "aarch64", "--", "true").contains("--arch must come first"));
    }

    @Test
    void archNamesAndAliases() {
        assertEquals(LabArch.AARCH64, LabArch.parse("aarch64"));
        assertEquals(LabArch.AARCH64, LabArch.parse("arm64"));
        assertEquals(LabArch.X86_64, LabArch.parse("x86_64"));
        assertEquals(LabArch.AARCH64, Lab.of(LabArch.AARCH64).arch());
    }

    @Test
    void kernelCompileLinesAreCounted() {
        assertTrue(Arm64Prepare.isCompileLine("  CC      kernel/rcu/rcu_segcblist.o"));
        assertTrue(Arm64Prepare.isCompileLine("  AS      arch/arm64/kernel/entry.o"));
        assertTrue(!Arm64Prepare.isCompileLine("  LD      vmlinux.o"));
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
