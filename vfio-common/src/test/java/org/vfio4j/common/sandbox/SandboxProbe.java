package org.vfio4j.common.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link SandboxTest}: installs the sandbox in the mode given, shows what still works, then
 * starts a process, which the sandbox must stop ({@code ENFORCE}) or let run and report ({@code LOG}).
 */
final class SandboxProbe {
    private SandboxProbe() {
    }

    public static void main(String[] args) throws Exception {
        Sandbox.Mode mode = Sandbox.Mode.valueOf(args[0]);
        CountDownLatch reported = new CountDownLatch(1);
        Sandbox s = Sandbox.install(mode, 0, d -> {
            System.out.println("denied " + d.call() + ": " + d.describe());
            reported.countDown();
        });
        System.out.println("installed " + s.mode());
        Thread t = Thread.ofPlatform().name("probe-thread").start(() -> System.out.println("a new thread runs"));
        t.join();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("NoNewPrivs:") || line.startsWith("Seccomp:")) {
                System.out.println(line.replace('\t', ' ').replaceAll(" +", " "));
            }
        }
        try {
            Process p = new ProcessBuilder("true").start();
            System.out.println("started a process, status " + p.waitFor());
        } catch (IOException e) {
            System.out.println("start refused: " + e.getMessage());
        }
        System.out.println(reported.await(30, TimeUnit.SECONDS) ? "reported" : "nothing reported");
    }
}
