package org.vfio4j.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Which of the build host's directories under {@code /tmp} and {@code /run} the lab host must keep
 * visible.
 *
 * <p>Why it exists: the lab host mounts fresh, writable tmpfs file systems on {@code /tmp} and
 * {@code /run} over the read-only shared root, which would hide a checkout, a class path or a file
 * that lives there on the build host (a CI clone in {@code /tmp} is the common case). The init
 * carries each directory listed here across those mounts, read-only, at its own path.
 */
final class HiddenPaths {
    private static final List<String> HIDDEN = List.of("/tmp/", "/run/");

    private HiddenPaths() {
    }

    /**
     * The directories to keep, one per line for the init: every absolute path under a hidden tree
     * named by {@code words} (each word split at ':' so class paths count), as the existing
     * directory itself or a file's parent, without the lab's own run directory and without
     * entries already covered by a kept ancestor.
     */
    static List<String> toKeep(List<String> words, Path runDir) {
        TreeSet<String> dirs = new TreeSet<>();
        for (String word : words) {
            for (String part : word.split(":")) {
                if (HIDDEN.stream().noneMatch(part::startsWith)) {
                    continue;
                }
                Path p = Path.of(part).normalize();
                Path dir = Files.isDirectory(p) ? p : p.getParent();
                while (dir != null && !Files.isDirectory(dir)) {
                    dir = dir.getParent();
                }
                if (dir == null || dir.getNameCount() < 2 || dir.startsWith(runDir) || runDir.startsWith(dir)) {
                    continue; // nothing to keep, the hidden tree itself, or the run directory
                }
                dirs.add(dir.toString());
            }
        }
        List<String> keep = new ArrayList<>();
        for (String d : dirs) { // sorted: an ancestor comes before its descendants
            if (keep.stream().noneMatch(k -> d.startsWith(k + "/"))) {
                keep.add(d);
            }
        }
        return keep;
    }
}
