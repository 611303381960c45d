package org.vfio4j.common.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The numbers of {@link Syscalls} (which {@link Sysno} and the sandbox use) against the kernel's own, for both architectures: the C preprocessor lists the
 * {@code __NR_*} macros of {@code <asm/unistd.h>}, with gcc for x86_64 and aarch64-linux-gnu-gcc (Debian
 * gcc-aarch64-linux-gnu, the headers of linux-libc-dev-arm64-cross) for arm64, which this host cannot run.
 */
class SysnoHeaderTest {
    @Test
    void x86_64MatchesTheKernelHeaders() throws Exception {
        check("x86_64", "gcc");
    }

    @Test
    void arm64MatchesTheKernelHeaders() throws Exception {
        check("aarch64", "aarch64-linux-gnu-gcc");
    }

    @Test
    void anotherArchitectureGetsNoNumbers() {
        for (String name : Syscalls.names()) {
            assertEquals(-1, Syscalls.number("riscv64", name), name);
        }
    }

    /** With the header checks, a misspelt name would be -1 on both and pass them: it fails here. */
    @Test
    void everyNameIsACallOfOneArchitectureAtLeast() {
        for (String name : Syscalls.names()) {
            assertTrue(Syscalls.number("aarch64", name) >= 0 || Syscalls.number("x86_64", name) >= 0, name);
        }
    }

    @Test
    void theHostsNumbersNameTheirCallsAndAnUnlistedOneItsNumber() {
        int nr = Syscalls.number("execve").orElseThrow();
        assertEquals("execve", Syscalls.name(nr));
        assertEquals("system call 100000", Syscalls.name(100_000));
        assertTrue(Syscalls.number("no_such_call").isEmpty());
    }

    private static void check(String arch, String compiler) throws IOException, InterruptedException {
        Map<String, String> macros = macros(compiler);
        for (String name : Syscalls.names()) {
            assertEquals(resolve(macros, "__NR_" + name), Syscalls.number(arch, name), arch + " " + name);
        }
    }

    /** The macros {@code <asm/unistd.h>} defines, name to body, as {@code compiler -dM -E} lists them. */
    private static Map<String, String> macros(String compiler) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(List.of(compiler, "-dM", "-E", "-x", "c", "-"))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new AssertionError(compiler + " is needed (apt-get install gcc gcc-aarch64-linux-gnu linux-libc-dev)", e);
        }
        p.getOutputStream().write("#include <asm/unistd.h>\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, compiler + " failed");
        Map<String, String> m = new HashMap<>();
        for (String line : out.lines().toList()) {
            String[] f = line.split("\\s+", 3);
            if (f.length == 3 && f[0].equals("#define")) {
                m.put(f[1], f[2].strip());
            }
        }
        return m;
    }

    /** A macro's number, following macros defined as other macros (arm64's {@code __NR_mmap __NR3264_mmap}). */
    private static int resolve(Map<String, String> macros, String name) {
        if (!macros.containsKey(name)) {
            return -1;   // not a call of this architecture (arm64 has no open, fork, poll, ...)
        }
        String v = macros.get(name);
        for (int depth = 0; v != null && !v.matches("\\(?\\d+\\)?") && depth < 4; depth++) {
            v = macros.get(v);
        }
        assertTrue(v != null, name + " is not defined by <asm/unistd.h>");
        return Integer.parseInt(v.replace("(", "").replace(")", ""));
    }
}
