package org.vfio4j.common.sandbox;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.vfio4j.common.sys.Native;

/**
 * What the sandbox costs, in one process on this host's kernel: the time {@link Sandbox#install} takes, and an
 * eventfd write and read (two system calls of the kind an I/O path makes: {@code write} and {@code read} sit
 * third and fourth on the allowlist, after {@code ioctl} and {@code futex}) before and after it, as medians of
 * five rounds of 200,000 pairs each. Run:
 * {@snippet lang=sh :
 * java --enable-native-access=ALL-UNNAMED -cp vfio-common/target/classes:vfio-common/target/test-classes \
 *     org.vfio4j.common.sandbox.SandboxBench
 * }
 */
final class SandboxBench {
    private static final int PAIRS = 200_000;

    private SandboxBench() {
    }

    public static void main(String[] args) {
        int fd = Native.eventfd(0, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(8, 8);
            one.set(ValueLayout.JAVA_LONG, 0, 1);
            MemorySegment got = a.allocate(8, 8);
            rounds(fd, one, got);   // warm-up: the JIT compiles the loop
            double before = rounds(fd, one, got);
            long t0 = System.nanoTime();
            Sandbox.install(Sandbox.Mode.ENFORCE, 0, d -> System.out.println("denied " + d.describe()));
            double installMs = (System.nanoTime() - t0) / 1e6;
            double after = rounds(fd, one, got);
            System.out.printf("sandbox-bench: install %.2f ms; eventfd write+read %.0f ns before, %.0f ns after, "
                    + "ratio %.3f (%s)%n", installMs, before, after, after / before, System.getProperty("os.arch"));
        }
    }

    /** The median over five rounds of one write+read pair's time, in ns. */
    private static double rounds(int fd, MemorySegment one, MemorySegment got) {
        double[] r = new double[5];
        for (int i = 0; i < r.length; i++) {
            long t0 = System.nanoTime();
            for (int n = 0; n < PAIRS; n++) {
                Native.write(fd, one, 8);
                Native.read(fd, got, 8);
            }
            r[i] = (System.nanoTime() - t0) / (double) PAIRS;
        }
        java.util.Arrays.sort(r);
        return r[2];
    }
}
