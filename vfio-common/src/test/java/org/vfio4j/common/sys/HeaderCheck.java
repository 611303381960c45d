package org.vfio4j.common.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Compares Java ABI facts with a C header: every struct's size, every named member's offset and size (recursively;
 * an unnamed member is C's anonymous union) and every constant are recorded on the Java side and printed by a
 * generated C program, which the caller's compiler builds and the caller's runner runs.
 *
 * <p>Why a shared test helper (published in vfio-common's test-jar): vfio-common checks {@link VfioAbi} and
 * {@link KvmAbi} against the build host's headers, machine-virt checks its arm64 {@code ArmKvmAbi} against the
 * arm64 header through a cross compiler; the generator, the run and the comparison are the same.
 */
public final class HeaderCheck {
    /** Facts as the Java side has them, keyed like {@code "offsetof kvm_run.mmio.data"}. */
    public final Map<String, Long> java = new LinkedHashMap<>();
    /** Facts as the compiled C program printed them, with the same keys. */
    public final Map<String, Long> c = new LinkedHashMap<>();
    private final StringBuilder program = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <sys/ioctl.h>\n");

    /** A check of the headers {@code includes}, e.g. {@code "linux/kvm.h"}. */
    public HeaderCheck(String... includes) {
        for (String h : includes) {
            program.append("#include <").append(h).append(">\n");
        }
        program.append("int main(void) {\n");
    }

    /** Records {@code s}'s size and its members' offsets and sizes, against {@code struct <s's name>}. */
    public void struct(StructLayout s) {
        String name = s.name().orElseThrow();
        java.put("sizeof " + name, s.byteSize());
        program.append("printf(\"sizeof %s %zu\\n\", \"").append(name).append("\", sizeof(struct ").append(name).append("));\n");
        members(name, s, "", 0);
    }

    /** Records constant {@code name} (unsigned) against the C expression {@code cExpression}. */
    public void constant(String name, Object value, String cExpression) {
        java.put("const " + name, value instanceof Integer i ? Integer.toUnsignedLong(i) : (Long) value);
        program.append("printf(\"const %s %llu\\n\", \"").append(name).append("\", (unsigned long long)(")
                .append(cExpression).append("));\n");
    }

    private void members(String struct, GroupLayout g, String prefix, long base) {
        for (MemoryLayout m : g.memberLayouts()) {
            if (m instanceof PaddingLayout) {
                continue;
            }
            String name = m.name().orElseThrow();
            long off = base + g.byteOffset(MemoryLayout.PathElement.groupElement(name));
            if (name.isEmpty() && m instanceof GroupLayout anon) {
                members(struct, anon, prefix, off);
                continue;
            }
            String path = prefix + name;
            java.put("offsetof " + struct + "." + path, off);
            java.put("sizeof " + struct + "." + path, m.byteSize());
            program.append("printf(\"offsetof %s %zu\\n\", \"").append(struct).append('.').append(path)
                    .append("\", offsetof(struct ").append(struct).append(", ").append(path).append("));\n");
            program.append("printf(\"sizeof %s %zu\\n\", \"").append(struct).append('.').append(path)
                    .append("\", sizeof(((struct ").append(struct).append(" *)0)->").append(path).append("));\n");
            if (m instanceof GroupLayout inner) {
                members(struct, inner, path + ".", off);
            }
        }
    }

    /**
     * Writes the program to {@code dir}, builds it with {@code compiler} (its command line up to the output and
     * source arguments), runs it with {@code runner} (the words before the executable; none to run it directly)
     * and fills {@link #c}. Each step must exit 0 within {@code timeoutSeconds}; {@code compileWhat} and
     * {@code runWhat} name the steps (and what to install) in the failure.
     */
    public void compileAndRun(Path dir, List<String> compiler, String compileWhat, List<String> runner, String runWhat,
            long timeoutSeconds) throws IOException, InterruptedException {
        Path src = dir.resolve("abi.c");
        Path exe = dir.resolve("abi");
        Files.writeString(src, program + "return 0; }\n");
        List<String> build = new ArrayList<>(compiler);
        build.addAll(List.of("-o", exe.toString(), src.toString()));
        run(build, compileWhat, timeoutSeconds);
        List<String> exec = new ArrayList<>(runner);
        exec.add(exe.toString());
        for (String line : run(exec, runWhat, timeoutSeconds).split("\n")) {
            int sp = line.lastIndexOf(' ');
            c.put(line.substring(0, sp), Long.parseUnsignedLong(line.substring(sp + 1)));
        }
    }

    /** Every Java fact whose C value differs or is missing, as {@code "key: Java v, C w"}. */
    public List<String> disagreements() {
        List<String> wrong = new ArrayList<>();
        java.forEach((k, v) -> {
            Long cv = c.get(k);
            if (!v.equals(cv)) {
                wrong.add(k + ": Java " + v + ", C " + cv);
            }
        });
        return wrong;
    }

    private static String run(List<String> cmd, String what, long timeoutSeconds) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(what + ": " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), what + " timed out");
        assertEquals(0, p.exitValue(), what + " failed:\n" + out);
        return out;
    }
}
