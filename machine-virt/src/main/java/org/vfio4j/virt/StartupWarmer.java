package org.vfio4j.virt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vfio4j.virt.fdt.FdtException;
import org.vfio4j.virt.fdt.Libfdt;

/**
 * Links the VMM's native calls on a second thread while the main thread parses options and builds the machine
 * with Guice.
 *
 * <p>Why: each distinct C signature called through FFM spins a stub class and a dozen LambdaForms the first
 * time it is linked, which the JDK 25 AOT cache cannot keep. The VMM links five before the guest runs (libfdt's
 * sequential-write API, four signatures, and vfio-common's one for every system call, in the order the main thread
 * needs them: started last, the warm-up was still linking libfdt when the main thread got there, and both linked
 * the same calls);
 * under an emulated JVM (the aarch64 lab) that is ~0.1 s each, on the boot's critical path. Done here, on a
 * host with a second CPU, it overlaps with Guice's start-up instead. The work is idempotent and its results are
 * only the JVM's own (initialised classes, linked call sites): the main thread does every call again for real
 * and reports any failure itself, so this thread drops its errors.
 */
final class StartupWarmer implements Runnable {
    private StartupWarmer() {
    }

    /** Starts the warm-up on a daemon thread (it never keeps the VMM alive) and returns at once. */
    static void start() {
        Thread t = new Thread(new StartupWarmer(), "virt-warm-up");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void run() {
        try {
            JitPriority.lower();
            // in the order the main thread needs them: the device tree, then KVM, then the vCPU threads
            linkLibfdt();
            ClassLoader loader = StartupWarmer.class.getClassLoader();
            // every system call (one signature: syscall(2)): usually linked already, by JitPriority above or by the
            // preboot thread (run.Preboot); this links it when neither has (no compiler thread found, no preboot)
            Class.forName("org.vfio4j.common.sys.Native", true, loader);
            BootTrace.mark("warm-up-done");   // after "injector": the main thread may have linked some itself
        } catch (ClassNotFoundException | RuntimeException | LinkageError e) {
            // the main thread makes the same calls and reports what is wrong
        }
    }

    /** A two-node blob with the calls {@code FdtWriter} makes. */
    private static void linkLibfdt() {
        try {
            Libfdt.requireLoaded();   // no libfdt: leave the clear message to the main thread
        } catch (FdtException e) {
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fdt = a.allocate(4096, 8);
            Libfdt.fdt_create(fdt, (int) fdt.byteSize());
            Libfdt.fdt_finish_reservemap(fdt);
            Libfdt.fdt_begin_node(fdt, a.allocateFrom(""));
            Libfdt.fdt_property(fdt, a.allocateFrom("warm-up"), a.allocate(4), 4);
            Libfdt.fdt_end_node(fdt);
            Libfdt.fdt_finish(fdt);
            Libfdt.fdt_check_header(fdt);
            Libfdt.fdt_totalsize(fdt);
        }
    }
}
