package org.vfio4j.common.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vfio4j.common.DmaMapping;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.sys.Native;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.lab.Lab;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabResult;

/**
 * Benchmark (a main, not a test): DMA-map then unmap 1 GiB in 4 KiB mappings through vfio-common, against a C
 * loop making the same ioctls on the same kind of memory, in the same x86 lab run. Prints both and the ratio.
 *
 * <p>Run from the repository root (boots the lab; takes a few minutes under TCG):
 * <pre>
 * export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
 * ./mvnw -B -q -ntp -pl vfio-common -am test-compile -DskipTests
 * $JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED \
 *   -cp vfio-common/target/classes:vfio-common/target/test-classes:lab/target/classes \
 *   org.vfio4j.common.bench.DmaMapBench [MiB]
 * </pre>
 * Inside the lab it raises vfio_iommu_type1's dma_entry_limit (default 65535) so 262144 mappings fit, warms
 * the JIT with smaller rounds, then alternates C, vfio-common (both ways of using it: vIOMMU style, then with
 * handles; see {@link #javaRound}) and raw-FFM rounds and reports the best of each.
 * "raw FFM" is the same loop as C through {@code Native.ioctl} alone: it separates the cost of the FFM
 * downcall from the cost of vfio-common's per-mapping checks and objects.
 */
public final class DmaMapBench {
    private static final long PAGE = 4096;
    private static final long IOVA_BASE = 1L << 32;
    /** Rounds per side; -Dbench.rounds=N on the host JVM is passed into the lab. */
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

    private DmaMapBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--java-only")) { // for profiling in the lab: vfio-common rounds only
            int group = bindEdu();
            long size = Long.parseLong(args[1]) << 20;
            boolean vIommuStyle = args.length > 2 && args[2].equals("viommu");
            javaRound(group, size, vIommuStyle);
            long[] j = javaRound(group, size, vIommuStyle);
            System.out.printf("vfio-common map %.1f ms unmap %.1f ms%n", j[0] / 1e6, j[1] / 1e6);
            return;
        }
        if (args.length > 0 && args[0].equals("--in-lab")) {
            inLab(Path.of(args[1]), Long.parseLong(args[2]) << 20);
            return;
        }
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        Path dir = Files.createDirectories(Path.of("vfio-common/target/bench").toAbsolutePath());
        Path src = dir.resolve("dma_map_bench.c");
        Path exe = dir.resolve("dma_map_bench");
        try (InputStream in = DmaMapBench.class.getResourceAsStream("dma_map_bench.c")) {
            if (in == null) {
                throw new IllegalStateException("dma_map_bench.c missing from the test class path; run test-compile");
            }
            Files.write(src, in.readAllBytes());
        }
        Process gcc = new ProcessBuilder("gcc", "-O2", "-o", exe.toString(), src.toString()).inheritIO().start();
        if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
            throw new IllegalStateException("gcc failed on " + src + " (apt-get install gcc linux-libc-dev)");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The in-lab JVM runs with the JDK's own choices (no GC or heap flags), as a user's program on that host
        // would: on the lab's one vCPU that is the serial collector (not a "server-class" machine), which the
        // in-lab part prints. -Dbench.compareGc=true adds runs with G1 and ParallelGC forced, to show how much of
        // vfio-common's per-mapping cost is garbage collection of the mapping objects.
        StringBuilder cmd = new StringBuilder();
        List<String> gcs = Boolean.getBoolean("bench.compareGc") ? List.of("", "-XX:+UseG1GC", "-XX:+UseParallelGC")
                : List.of("");
        for (String gc : gcs) {
            cmd.append("echo '== JVM ").append(gc.isEmpty() ? "with default GC ergonomics" : gc).append(" =='; ")
                    .append(java).append(" --enable-native-access=ALL-UNNAMED -Dbench.rounds=").append(ROUNDS).append(' ')
                    .append(gc).append(" -cp ")
                    .append(System.getProperty("java.class.path")).append(' ').append(DmaMapBench.class.getName())
                    .append(" --in-lab ").append(exe).append(' ').append(mib).append(" 2>&1 || exit 1; ");
        }
        LabResult r = Lab.x86().withMemory("4G").withTimeout(Duration.ofMinutes(60)).withEcho(System.out)
                .run(List.of("sh", "-c", cmd.toString()));
        System.exit(r.status());
    }

    private static void inLab(Path cExe, long size) throws Exception {
        int group = bindEdu();
        Files.writeString(Path.of("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"), Long.toString(size / PAGE + 1024));
        System.out.printf("DMA map+unmap of %d MiB in %d KiB mappings (%d each way), edu group %d; JVM: %d CPU(s),"
                + " max heap %d MiB, collectors %s%n", size >> 20, PAGE >> 10, size / PAGE, group,
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                        .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
        // JIT warm-up: on the lab's one vCPU, compiling still going on in the measured rounds is time taken from
        // them (the first two full rounds ran 20-40 % slow with one warm-up pass); each round prints the JIT's time.
        for (int w = 0; w < 3; w++) {
            javaRound(group, Math.min(size, 128L << 20), true);
            javaRound(group, Math.min(size, 128L << 20), false);
            rawRound(group, Math.min(size, 128L << 20));
        }
        long bestC = Long.MAX_VALUE, bestJ = Long.MAX_VALUE, bestA = Long.MAX_VALUE, bestRaw = Long.MAX_VALUE;
        double[] ratioJ = new double[ROUNDS], ratioA = new double[ROUNDS], ratioRaw = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            // Alternate the order so background load on the (shared, emulated) machine hits each side alike.
            long[] c = round % 2 == 0 ? cRound(cExe, group, size) : new long[0];
            long jit0 = jitMillis();
            // The two ways of using vfio-common alternate too: the first Java round after C pays for the collector
            // and heap left by the round before.
            long[][] java = new long[2][];   // [0] vIOMMU style, [1] with handles
            long[] gc = new long[2];
            for (int k = 0; k < 2; k++) {
                int way = (round + k) % 2;
                long g0 = gcMillis();
                java[way] = javaRound(group, size, way == 0);
                gc[way] = gcMillis() - g0;
            }
            long[] j = java[0], a = java[1];
            long gcJ = gc[0], gcA = gc[1];
            long[] raw = rawRound(group, size);
            if (c.length == 0) {
                c = cRound(cExe, group, size);
            }
            System.out.printf("round %d: C map %.1f ms unmap %.1f ms | vfio-common, vIOMMU style map %.1f ms unmap %.1f ms"
                    + " (GC %d ms) | vfio-common, handles map %.1f ms unmap %.1f ms (GC %d ms)"
                    + " | raw FFM map %.1f ms unmap %.1f ms | JIT %d ms%n", round, c[0] / 1e6, c[1] / 1e6, j[0] / 1e6,
                    j[1] / 1e6, gcJ, a[0] / 1e6, a[1] / 1e6, gcA, raw[0] / 1e6, raw[1] / 1e6, jitMillis() - jit0);
            ratioJ[round] = (double) (j[0] + j[1]) / (c[0] + c[1]);
            ratioA[round] = (double) (a[0] + a[1]) / (c[0] + c[1]);
            ratioRaw[round] = (double) (raw[0] + raw[1]) / (c[0] + c[1]);
            bestC = Math.min(bestC, c[0] + c[1]);
            bestJ = Math.min(bestJ, j[0] + j[1]);
            bestA = Math.min(bestA, a[0] + a[1]);
            bestRaw = Math.min(bestRaw, raw[0] + raw[1]);
        }
        long ops = 2 * size / PAGE;
        System.out.printf("BENCH C                        %.1f ms total, %.0f ns per ioctl%n", bestC / 1e6, (double) bestC / ops);
        System.out.printf("BENCH vfio-common, vIOMMU style %.1f ms total, %.0f ns per ioctl%n", bestJ / 1e6, (double) bestJ / ops);
        System.out.printf("BENCH vfio-common, handles      %.1f ms total, %.0f ns per ioctl%n", bestA / 1e6, (double) bestA / ops);
        System.out.printf("BENCH raw FFM                  %.1f ms total, %.0f ns per ioctl%n", bestRaw / 1e6, (double) bestRaw / ops);
        System.out.printf("BENCH ratio vfio-common/C = %.3f vIOMMU style (goal <= 1.10), %.3f with handles;"
                + " raw FFM/C = %.3f%n", (double) bestJ / bestC, (double) bestA / bestC, (double) bestRaw / bestC);
        // Under time-varying load, the ratio of the rounds run back to back is the steadier estimate.
        System.out.printf("BENCH per-round ratios vfio-common/C vIOMMU style %s, median %.3f; with handles"
                + " median %.3f; raw FFM/C median %.3f%n", rounded(ratioJ), median(ratioJ), median(ratioA),
                median(ratioRaw));
    }

    private static String rounded(double[] v) {
        return java.util.Arrays.toString(java.util.Arrays.stream(v).map(r -> Math.round(r * 1000) / 1000.0).toArray());
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Binds edu to vfio-pci through sysfs (what LabHost.bindToVfio does for tests) and returns its group. */
    private static int bindEdu() throws IOException, InterruptedException {
        String bdf = LabDevice.EDU.bdf();
        Path dev = Path.of("/sys/bus/pci/devices", bdf);
        if (!Files.exists(Path.of("/sys/bus/pci/drivers/vfio-pci"))) {
            new ProcessBuilder("modprobe", "vfio-pci").inheritIO().start().waitFor();
        }
        Path driver = dev.resolve("driver");
        if (!Files.exists(driver) || !Files.readSymbolicLink(driver).getFileName().toString().equals("vfio-pci")) {
            if (Files.exists(driver)) {
                Files.writeString(driver.resolve("unbind"), bdf);
            }
            Files.writeString(dev.resolve("driver_override"), "vfio-pci");
            Files.writeString(Path.of("/sys/bus/pci/drivers_probe"), bdf);
        }
        return Integer.parseInt(Files.readSymbolicLink(dev.resolve("iommu_group")).getFileName().toString());
    }

    /**
     * vfio-common's own path, one {@code VfioContainer.map} per 4 KiB, used either of its two ways: with
     * {@code vIommuStyle}, the memory is owned by the container's {@link org.vfio4j.common.DmaArena}, the handles
     * are dropped and each page is unmapped by IOVA ({@code VfioContainer.unmap}), as a vIOMMU shadow or memory
     * listener does (and as the C loop does); otherwise the memory is owned by a plain shared arena (a cleanup
     * registration per mapping), the caller keeps every {@code DmaMapping} and closes each.
     */
    private static long[] javaRound(int group, long size, boolean vIommuStyle) {
        int n = (int) (size / PAGE);
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group);
                Arena arena = vIommuStyle ? c.newDmaArena() : Arena.ofShared()) {
            MemorySegment mem = touchedMemory(arena, size);
            if (vIommuStyle) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    c.map(arena, mem.asSlice(i * PAGE, PAGE), IOVA_BASE + i * PAGE, DmaPermission.READ_WRITE);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    if (c.unmap(IOVA_BASE + i * PAGE, PAGE) != 1) {
                        throw new IllegalStateException("unmap by IOVA found no mapping at page " + i);
                    }
                }
                long t2 = System.nanoTime();
                return new long[] {t1 - t0, t2 - t1};
            }
            List<DmaMapping> maps = new ArrayList<>(n);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                maps.add(c.map(arena, mem.asSlice(i * PAGE, PAGE), IOVA_BASE + i * PAGE, DmaPermission.READ_WRITE));
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                maps.get(i).close();
            }
            long t2 = System.nanoTime();
            return new long[] {t1 - t0, t2 - t1};
        }
    }

    /**
     * {@code size} bytes of anonymous memory, every page touched, unmapped when {@code arena} closes: what both
     * Java sides map (the C side prepares its memory the same way), so they differ only in how they map it.
     */
    private static MemorySegment touchedMemory(Arena arena, long size) {
        long addr = Native.mmap(size, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0);
        if (Native.failed(addr)) {
            throw new IllegalStateException("mmap of " + size + " bytes failed");
        }
        MemorySegment mem = MemorySegment.ofAddress(addr).reinterpret(size, arena, s -> Native.munmap(addr, size));
        mem.fill((byte) 1);
        return mem;
    }

    /** The JIT compilers' accumulated time (compiling on the lab's one vCPU competes with the rounds). */
    private static long jitMillis() {
        java.lang.management.CompilationMXBean b = java.lang.management.ManagementFactory.getCompilationMXBean();
        return b != null && b.isCompilationTimeMonitoringSupported() ? b.getTotalCompilationTime() : -1;
    }

    private static long gcMillis() {
        long t = 0;
        for (java.lang.management.GarbageCollectorMXBean b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, b.getCollectionTime());
        }
        return t;
    }

    /**
     * The FFM floor: the same ioctls through {@link Native#ioctl} on one preallocated struct, no bookkeeping,
     * so the difference to {@link #javaRound} is what vfio-common's checks and mapping objects cost.
     */
    private static long[] rawRound(int group, long size) {
        int n = (int) (size / PAGE);
        try (VfioContainer c = VfioContainer.open(); VfioGroup g = c.attach(group); Arena arena = Arena.ofConfined()) {
            MemorySegment mem = touchedMemory(arena, size);
            long addr = mem.address();
            int fd = c.fd();
            MemorySegment map = arena.allocate(VfioAbi.DmaMap.LAYOUT);
            MemorySegment unmap = arena.allocate(VfioAbi.DmaUnmap.LAYOUT);
            VfioAbi.DmaMap.ARGSZ.set(map, (int) VfioAbi.DmaMap.LAYOUT.byteSize());
            VfioAbi.DmaMap.FLAGS.set(map, VfioAbi.VFIO_DMA_MAP_FLAG_READ | VfioAbi.VFIO_DMA_MAP_FLAG_WRITE);
            VfioAbi.DmaMap.SIZE.set(map, PAGE);
            VfioAbi.DmaUnmap.ARGSZ.set(unmap, (int) VfioAbi.DmaUnmap.LAYOUT.byteSize());
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                VfioAbi.DmaMap.VADDR.set(map, addr + i * PAGE);
                VfioAbi.DmaMap.IOVA.set(map, IOVA_BASE + i * PAGE);
                if (Native.ioctl(fd, VfioAbi.VFIO_IOMMU_MAP_DMA, map) < 0) {
                    throw new IllegalStateException("raw VFIO_IOMMU_MAP_DMA failed at mapping " + i);
                }
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                VfioAbi.DmaUnmap.IOVA.set(unmap, IOVA_BASE + i * PAGE);
                VfioAbi.DmaUnmap.SIZE.set(unmap, PAGE);
                if (Native.ioctl(fd, VfioAbi.VFIO_IOMMU_UNMAP_DMA, unmap) < 0) {
                    throw new IllegalStateException("raw VFIO_IOMMU_UNMAP_DMA failed at mapping " + i);
                }
            }
            long t2 = System.nanoTime();
            return new long[] {t1 - t0, t2 - t1};
        }
    }

    private static long[] cRound(Path exe, int group, long size) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(exe.toString(), Integer.toString(group), Long.toString(size), Long.toString(IOVA_BASE))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("C baseline failed: " + out);
        }
        Matcher m = Pattern.compile("map_ns=(\\d+) unmap_ns=(\\d+)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("unexpected C output: " + out);
        }
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }
}
