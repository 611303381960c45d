package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher maps an AOT cache only where no other user could have written it. Run through {@code ./vfio4j
 * virt} itself ({@code dumpdtb}, which needs no KVM): a recording run says so on stderr and a run that maps
 * the cache says nothing, so a run that records again shows the cache in place was not used.
 */
class LauncherAotTrustTest {
    private static final String RECORDED = "recorded the VMM's AOT cache";
    private static Path root = Path.of(".");

    @BeforeAll
    static void builtCheckout() {
        root = Path.of(System.getProperty("user.dir")).getParent();
        Path launcher = root.resolve("vfio4j");
        boolean built;
        try (Stream<Path> jars = Files.list(root.resolve("machine-virt/target"))) {
            built = jars.anyMatch(p -> p.getFileName().toString().matches("machine-virt-.*(?<!-tests)\\.jar"));
        } catch (java.io.IOException e) {
            built = false;
        }
        Assumptions.assumeTrue(Files.isExecutable(launcher) && built,
                "needs the packaged machine-virt jar the launcher runs (./vfio4j test builds it first)");
    }

    private record Run(int status, String err) {
    }

    private static Run virt(Path aotDir, Path work) throws Exception {
        Path kernel = MainHarness.dummyKernel(work);
        ProcessBuilder pb = new ProcessBuilder(root.resolve("vfio4j").toString(), "virt", "-m", "128M", "-kernel",
                kernel.toString(), "-machine", "dumpdtb=" + work.resolve("virt.dtb"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = pb.environment();
        env.put("VFIO4J_NO_BUILD", "1");
        env.put("VFIO4J_AOT_DIR", aotDir.toString());
        env.remove("VFIO4J_AOT_LOCAL");
        env.remove("VFIO4J_AOT");
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the launcher did not finish\n" + err);
        return new Run(p.exitValue(), err);
    }

    private static Path cacheFile(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> caches = s.filter(p -> p.toString().endsWith(".aot")).toList();
            assertEquals(1, caches.size(), "one cache: " + caches);
            return caches.getFirst();
        }
    }

    @Test
    void aCacheOthersCouldWriteOrReplaceIsNeverMapped(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("aot"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Run first = virt(dir, tmp);
        assertEquals(0, first.status(), first.err());
        assertTrue(first.err().contains(RECORDED), "the first run records the cache\n" + first.err());
        Run second = virt(dir, tmp);
        assertEquals(0, second.status(), second.err());
        assertFalse(second.err().contains(RECORDED), "the second run maps it\n" + second.err());

        Path cache = cacheFile(dir);
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rw-rw-r--"));
        Run planted = virt(dir, tmp);
        assertEquals(0, planted.status(), planted.err());
        assertTrue(planted.err().contains(RECORDED), "a group-writable cache must not be mapped\n" + planted.err());

        Path elsewhere = Files.copy(cacheFile(dir), tmp.resolve("elsewhere.aot"));
        Files.delete(cacheFile(dir));
        Files.createSymbolicLink(dir.resolve(cache.getFileName()), elsewhere);
        Run linked = virt(dir, tmp);
        assertEquals(0, linked.status(), linked.err());
        assertTrue(linked.err().contains(RECORDED), "a cache behind a symbolic link must not be mapped\n" + linked.err());
        assertFalse(Files.isSymbolicLink(dir.resolve(cache.getFileName())), "the link was replaced, not followed");
    }

    @Test
    void aDirectoryEveryoneCanWriteIsNotUsed(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Run r = virt(dir, tmp);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("not using the AOT cache directory " + dir + ": " + dir
                + " is writable by its group or by everyone"), r.err());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "nothing was written there");
        }
    }
}
