package org.vfio4j.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernel modules the lab host loads, and the dependency closure that makes them loadable.
 *
 * <p>Why computed here: Debian's linux-image package ships no {@code modules.dep} (its postinst
 * runs depmod, which a mere {@code dpkg-deb -x} does not), and busybox's {@code insmod} loads one
 * file without resolving dependencies. So we read {@code modules.order} to find each module's file
 * and each module's own {@code depends=} entry (from its {@code .modinfo} section) to order them,
 * decompressing only the modules in the closure.
 */
final class KernelModules {
    /**
     * The modules the lab host needs, in load order before closure: the VFIO stack, KVM (so nested
     * KVM under TCG's emulated SVM works), 9p over virtio for the shared root, and the host drivers
     * of the default topology. Built-ins in the Debian 6.12 config (virtio_pci, virtio_console,
     * intel-iommu, devtmpfs, tmpfs) are not listed.
     */
    static final List<String> WANTED = List.of(
            "irqbypass", "vfio", "vfio_iommu_type1", "vfio-pci-core", "vfio-pci",
            "ccp", "kvm", "kvm-amd",
            "netfs", "9pnet", "9pnet_virtio", "9p",
            "nvme", "e1000e", "e1000");

    /** Reads one module's decompressed bytes; the caller decides where they come from. */
    interface Source {
        byte[] read(String relativePath) throws IOException;
    }

    private KernelModules() {
    }

    /** Module name as the kernel compares them: dashes and underscores are the same. */
    static String canonical(String name) {
        return name.replace('-', '_');
    }

    /** Maps canonical module names to their paths (e.g. {@code kernel/fs/9p/9p.ko}) from modules.order. */
    static Map<String, String> index(Path modulesOrder) throws IOException {
        Map<String, String> byName = new HashMap<>();
        for (String line : Files.readAllLines(modulesOrder, StandardCharsets.UTF_8)) {
            String path = line.strip();
            if (path.endsWith(".ko")) {
                String file = path.substring(path.lastIndexOf('/') + 1);
                byName.put(canonical(file.substring(0, file.length() - 3)), path);
            }
        }
        return byName;
    }

    /** The {@code depends=} list of a module image, empty when it has none. */
    static List<String> depends(byte[] ko) {
        byte[] key = "depends=".getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 1; i + key.length <= ko.length; i++) {
            if (ko[i - 1] != 0) {
                continue;
            }
            for (int j = 0; j < key.length; j++) {
                if (ko[i + j] != key[j]) {
                    continue outer;
                }
            }
            int start = i + key.length;
            int end = start;
            while (end < ko.length && ko[end] != 0) {
                end++;
            }
            String v = new String(ko, start, end - start, StandardCharsets.US_ASCII);
            List<String> deps = new ArrayList<>();
            for (String d : v.split(",")) {
                if (!d.isBlank()) {
                    deps.add(d.strip());
                }
            }
            return deps;
        }
        return List.of();
    }

    /**
     * The closure of {@code wanted} in load order (dependencies first), as canonical name to image.
     *
     * @throws LabException naming the module that the package does not contain
     */
    static Map<String, byte[]> closure(List<String> wanted, Map<String, String> index, Source source)
            throws IOException {
        Map<String, byte[]> ordered = new java.util.LinkedHashMap<>();
        for (String w : wanted) {
            visit(canonical(w), index, source, ordered, new LinkedHashSet<>());
        }
        return ordered;
    }

    private static void visit(String name, Map<String, String> index, Source source,
            Map<String, byte[]> ordered, Set<String> path) throws IOException {
        if (ordered.containsKey(name)) {
            return;
        }
        if (!path.add(name)) {
            throw new LabException("kernel modules depend on each other in a cycle: " + path);
        }
        String rel = index.get(name);
        if (rel == null) {
            throw new LabException("the kernel package has no module '" + name
                    + "' (not in modules.order); is it built in or renamed in this kernel?");
        }
        byte[] ko = source.read(rel);
        for (String dep : depends(ko)) {
            visit(canonical(dep), index, source, ordered, path);
        }
        path.remove(name);
        ordered.put(name, ko);
    }
}
