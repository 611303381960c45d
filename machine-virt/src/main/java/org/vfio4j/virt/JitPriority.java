package org.vfio4j.virt;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.vfio4j.common.sys.Native;

/**
 * Puts the JVM's JIT compiler threads at the lowest CPU priority (nice 19), so that they compile on CPU time
 * the VMM's own threads and the guest's vCPUs leave free.
 *
 * <p>Why: a VMM's start-up and its guest's boot are short bursts of work that mostly run once (Guice, the device
 * tree, the KVM set-up, the guest kernel on its vCPU threads); the compiler works on them at the same time and,
 * on a host with few free CPUs, delays them for code that is already done by the time it is compiled. At nice
 * 19 the compiler gets the CPUs when they idle, e.g. while the guest waits, and what runs often (the exit loop)
 * is still compiled. The launcher starts one compiler thread, created with the JVM
 * ({@code -XX:CICompilerCount=1 -XX:-UseDynamicNumberOfCompilerThreads}), so there is one thread to find, by its
 * name in {@code /proc/self/task/<tid>/comm}. Lowering a priority needs no privilege; nothing is reported when a
 * thread cannot be found (other JVM options, no {@code /proc}): the VMM then runs as it did.
 */
final class JitPriority {
    static final int NICE = 19;

    private JitPriority() {
    }

    /** Lowers every JIT compiler thread of this JVM; returns how many were lowered. */
    static int lower() {
        String[] tasks = new File("/proc/self/task").list();
        if (tasks == null) {
            return 0;
        }
        int lowered = 0;
        for (String task : tasks) {
            if (isThreadId(task) && isCompiler(Path.of("/proc/self/task", task, "comm"))
                    && Native.setThreadNice(Integer.parseInt(task), NICE) == 0) {
                lowered++;
            }
        }
        return lowered;
    }

    private static boolean isThreadId(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return !name.isEmpty() && name.length() < 10;
    }

    /** Whether the thread whose {@code comm} file this is runs a JIT compiler ("C1 CompilerThre", "C2 ..."). */
    private static boolean isCompiler(Path comm) {
        try {
            String name = new String(Files.readAllBytes(comm), StandardCharsets.US_ASCII);
            return name.length() > 3 && name.charAt(0) == 'C' && name.startsWith(" CompilerThre", 2);
        } catch (IOException | RuntimeException e) {
            return false;   // the thread ended meanwhile
        }
    }
}
