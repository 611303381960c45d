package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HiddenPathsTest {
    private Path base = Path.of("/nonexistent");

    @BeforeEach
    void makeTree() throws IOException {
        base = Files.createTempDirectory(Path.of("/tmp"), "vfio4j-hidden-");
        Files.createDirectories(base.resolve("clone/target/classes"));
        Files.writeString(base.resolve("clone/target/a.jar"), "");
    }

    @AfterEach
    void removeTree() throws IOException {
        LabPrepare.deleteTree(base);
    }

    @Test
    void keepsDirectoriesAndParentsOfFilesUnderTmpOnlyOnceEach() {
        String clone = base.resolve("clone").toString();
        List<String> keep = HiddenPaths.toKeep(List.of(
                "java", "-cp", clone + "/target/classes:/usr/share/java/x.jar:" + clone + "/target/a.jar",
                clone, "/usr/lib/jvm"), Path.of("/tmp/vfio4j-lab-1-x"));
        assertEquals(List.of(clone), keep);
    }

    @Test
    void aMissingFileKeepsItsNearestExistingDirectory() {
        List<String> keep = HiddenPaths.toKeep(List.of(base + "/clone/target/none/x.txt"), Path.of("/tmp/r"));
        assertEquals(List.of(base + "/clone/target"), keep);
    }

    @Test
    void neverKeepsTheHiddenTreeItselfNorTheRunDirectory() throws IOException {
        Path run = Files.createDirectories(base.resolve("run"));
        assertEquals(List.of(), HiddenPaths.toKeep(List.of("/tmp", "/tmp/", "/run/", run + "/cmd.sh", "/etc/x"), run));
    }
}
