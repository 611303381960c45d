package org.vfio4j.virt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external tool (dtc, qemu-system-aarch64) with a time limit, killing it if it overruns. */
final class DtbTool {
    private DtbTool() {
    }

    record Result(int status, String out, String err) {
    }

    static Result run(List<String> command, Path workDir) throws IOException, InterruptedException {
        Path out = workDir.resolve("tool.out");
        Path err = workDir.resolve("tool.err");
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException(command.getFirst() + " could not be started (" + e.getMessage()
                    + "); install it: apt-get install -y device-tree-compiler qemu-system-arm (./vfio4j test does)", e);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException(command + " did not finish in 120 s; killed");
        }
        return new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
    }
}
