package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The JIT compiler threads end at nice 19 and no other thread moves. Run in a child JVM with the launcher's
 * compiler options, so the test JVM's own compiler keeps its priority.
 */
class JitPriorityTest {
    @Test
    void compilerThreadsAndOnlyThemAreLowered() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-XX:CICompilerCount=1", "-XX:-UseDynamicNumberOfCompilerThreads", "-cp",
                System.getProperty("java.class.path"), Child.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines().toList();
        assertEquals("lowered 1", lines.get(0), out);
        int before = Integer.parseInt(lines.get(1).split(" ")[1]);
        int compilers = 0;
        for (String l : lines.subList(2, lines.size())) {
            String[] f = l.split("\t");
            boolean compiler = f[0].startsWith("C1 CompilerThre");
            compilers += compiler ? 1 : 0;
            assertEquals(compiler ? JitPriority.NICE : before, Integer.parseInt(f[1]), l + "\n" + out);
        }
        assertEquals(1, compilers, out);
    }

    /** The child JVM: lowers, then prints each thread's name and nice value. */
    static final class Child {
        public static void main(String[] args) throws IOException {
            int before = nice(Path.of("/proc/self/stat"));
            System.out.println("lowered " + JitPriority.lower());
            System.out.println("before " + before);
            List<String> rows = new ArrayList<>();
            for (String t : new File("/proc/self/task").list()) {
                Path dir = Path.of("/proc/self/task", t);
                try {
                    rows.add(Files.readString(dir.resolve("comm")).strip() + "\t" + nice(dir.resolve("stat")));
                } catch (IOException e) {
                    // the thread ended
                }
            }
            rows.forEach(System.out::println);
        }

        /** Field 19 of a stat file (after the parenthesised name, which may hold spaces). */
        private static int nice(Path stat) throws IOException {
            String s = Files.readString(stat);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(f[16]);
        }
    }
}
