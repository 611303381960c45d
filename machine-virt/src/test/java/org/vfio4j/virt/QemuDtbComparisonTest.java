package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.eclipse.jdt.annotation.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.dt.DtEncoding;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.common.dt.DtValue;
import org.vfio4j.virt.fdt.FdtReader;

/**
 * Our {@code dumpdtb} against QEMU's own for the same configuration ({@code -m 512M -smp 2}, same
 * kernel, initrd and command line), read back with our libfdt binding and compared node by node,
 * phandles replaced by the path of the node they point at. Differences allowed here are exactly the
 * ones machine-virt/README.md lists.
 */
class QemuDtbComparisonTest {
    /** Both blobs, read once for all tests (set by {@link #dumpBoth}). */
    record Dumps(Path dir, byte[] ourBlob, DtNode ours, DtNode qemu) {
    }

    private static @Nullable Dumps dumps;

    private static Dumps dumps() {
        Dumps d = dumps;
        if (d == null) {
            throw new IllegalStateException("dumpBoth did not run");
        }
        return d;
    }

    /** Nodes QEMU's virt has and ours deliberately does not (README: "Deliberate differences"). */
    static final Set<String> QEMU_ONLY_ROOT_CHILDREN = Set.of("flash@0", "fw-cfg@9020000", "pl031@9010000", "pmu");

    @BeforeAll
    static void dumpBoth(@TempDir Path dir) throws Exception {
        Path kernel = MainHarness.dummyKernel(dir);
        Path initrd = dir.resolve("initrd");
        Files.writeString(initrd, "initrd\n");
        String append = "console=ttyAMA0 quiet";
        Path ourDtb = dir.resolve("ours.dtb");
        MainHarness.Run r = MainHarness.run("-m", "512M", "-smp", "2", "-kernel", kernel.toString(), "-initrd",
                initrd.toString(), "-append", append, "-machine", "dumpdtb=" + ourDtb);
        assertEquals(0, r.status(), r.toString());
        Path qemuDtb = dir.resolve("qemu.dtb");
        DtbTool.Result q = DtbTool.run(List.of("qemu-system-aarch64", "-M", "virt,gic-version=3,dumpdtb=" + qemuDtb,
                "-m", "512M", "-smp", "2", "-cpu", "cortex-a57", "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "-append", append, "-display", "none", "-nodefaults"), dir);
        assertEquals(0, q.status(), "qemu-system-aarch64 dumpdtb failed:\n" + q.err());
        byte[] ourBlob = Files.readAllBytes(ourDtb);
        dumps = new Dumps(dir, ourBlob, FdtReader.read(ourBlob), FdtReader.read(Files.readAllBytes(qemuDtb)));
    }

    @Test
    void dtcAcceptsOurBlobWithoutWarnings() throws Exception {
        Path dir = dumps().dir();
        byte[] ourBlob = dumps().ourBlob();
        Path dtb = dir.resolve("check.dtb");
        Files.write(dtb, ourBlob);
        DtbTool.Result d = DtbTool.run(List.of("dtc", "-I", "dtb", "-O", "dts", dtb.toString()), dir);
        assertEquals(0, d.status(), d.err());
        assertEquals("", d.err(), "dtc warnings");
        assertTrue(d.out().contains("compatible = \"pci-host-ecam-generic\";"), d.out());
    }

    @Test
    void rootAgrees() {
        compareNode("/", Set.of());
        Set<String> qemuChildren = new TreeSet<>();
        dumps().qemu().children().forEach(c -> qemuChildren.add(c.fullName()));
        Set<String> ourChildren = new TreeSet<>();
        dumps().ours().children().forEach(c -> ourChildren.add(c.fullName()));
        assertTrue(qemuChildren.containsAll(ourChildren), "nodes only we have: " + minus(ourChildren, qemuChildren));
        Set<String> missing = minus(qemuChildren, ourChildren);
        missing.removeIf(n -> n.startsWith("virtio_mmio@"));
        assertEquals(QEMU_ONLY_ROOT_CHILDREN, missing, "QEMU nodes we lack beyond the documented ones");
    }

    @Test
    void memoryAgrees() {
        compareNode("/memory@40000000", Set.of());
    }

    @Test
    void cpusAndPsciAgree() {
        compareNode("/psci", Set.of());
        compareNode("/cpus", Set.of());
        compareNode("/cpus/cpu-map/socket0/cluster0/core0", Set.of());
        compareNode("/cpus/cpu-map/socket0/cluster0/core1", Set.of());
        for (String cpu : List.of("/cpus/cpu@0", "/cpus/cpu@1")) {
            compareNode(cpu, Set.of("compatible"));
            // Deliberate: under KVM the core is the host's, so we say what QEMU says for -cpu host.
            assertEquals(List.of("arm,arm-v8"), strings(dumps().ours(), cpu, "compatible"));
        }
    }

    @Test
    void gicAndItsAgree() {
        compareNode("/intc@8000000", Set.of());
        compareNode("/intc@8000000/its@8080000", Set.of());
    }

    @Test
    void timerAgrees() {
        compareNode("/timer", Set.of());
    }

    @Test
    void uartAndItsClockAgree() {
        compareNode("/pl011@9000000", Set.of());
        compareNode("/apb-pclk", Set.of());
    }

    /** The power button: QEMU's PL061 and its gpio-keys node, property for property. */
    @Test
    void gpioAndItsPowerKeyAgree() {
        compareNode("/pl061@9030000", Set.of());
        compareNode("/gpio-keys", Set.of());
        compareNode("/gpio-keys/poweroff", Set.of());
    }

    @Test
    void pcieHostAgrees() {
        compareNode("/pcie@10000000", Set.of());
    }

    @Test
    void platformBusAgrees() {
        compareNode("/platform-bus@c000000", Set.of());
    }

    @Test
    void chosenAgreesExceptTheRandomSeeds() {
        compareNode("/chosen", Set.of("rng-seed", "kaslr-seed"));
        for (String seed : List.of("rng-seed", "kaslr-seed")) {
            assertEquals(raw(dumps().qemu(), "/chosen", seed).length, raw(dumps().ours(), "/chosen", seed).length, seed + " length");
        }
    }

    // ---- comparison ---------------------------------------------------------------------------

    /** Same property names (phandle aside) and equal normalized values, except {@code skip}. */
    private static void compareNode(String path, Set<String> skip) {
        Map<String, String> q = normalized(dumps().qemu(), path);
        Map<String, String> o = normalized(dumps().ours(), path);
        assertEquals(q.keySet(), o.keySet(), "property names of " + path);
        for (String name : q.keySet()) {
            if (!skip.contains(name)) {
                assertEquals(q.get(name), o.get(name), path + " property " + name);
            }
        }
    }

    /** Property name → value text, with phandle cells replaced by "&" + target path. */
    private static Map<String, String> normalized(DtNode root, String path) {
        Map<Integer, String> targets = new HashMap<>();
        collectPhandles(root, "", targets);
        DtNode node = root.find(path).orElseThrow(() -> new AssertionError(path + " missing in " + (root == dumps().ours() ? "ours" : "QEMU's")));
        Map<String, String> out = new TreeMap<>();
        for (DtProperty p : node.properties()) {
            if (p.name().equals("phandle")) {
                continue;
            }
            byte[] raw = ((DtValue.Bytes) p.value()).bytes();
            out.put(p.name(), render(p.name(), raw, targets));
        }
        return out;
    }

    private static String render(String name, byte[] raw, Map<Integer, String> targets) {
        int stride;
        Set<Integer> phandleCells;
        switch (name) {
            case "interrupt-parent", "cpu" -> { stride = 1; phandleCells = Set.of(0); }
            case "clocks" -> { stride = 1; phandleCells = Set.of(0); }
            case "gpios" -> { stride = 3; phandleCells = Set.of(0); }
            case "msi-map" -> { stride = 4; phandleCells = Set.of(1); }
            case "interrupt-map" -> { stride = 10; phandleCells = Set.of(4); }
            default -> { return java.util.HexFormat.of().formatHex(raw); }
        }
        int[] cells = DtEncoding.cells(raw);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < cells.length; i++) {
            parts.add(phandleCells.contains(i % stride) ? "&" + targets.getOrDefault(cells[i], "?" + cells[i])
                    : Integer.toHexString(cells[i]));
        }
        return String.join(" ", parts);
    }

    private static void collectPhandles(DtNode n, String path, Map<Integer, String> out) {
        String here = n.name().isEmpty() ? "/" : path + "/" + n.fullName();
        n.property("phandle").ifPresent(p -> out.put(DtEncoding.cells(((DtValue.Bytes) p.value()).bytes())[0], here));
        for (DtNode c : n.children()) {
            collectPhandles(c, here.equals("/") ? "" : here, out);
        }
    }

    private static byte[] raw(DtNode root, String path, String prop) {
        return ((DtValue.Bytes) root.find(path).orElseThrow().property(prop).orElseThrow().value()).bytes();
    }

    private static List<String> strings(DtNode root, String path, String prop) {
        return DtEncoding.strings(raw(root, path, prop));
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> r = new TreeSet<>(a);
        r.removeAll(b);
        return r;
    }

    @Test
    void ourTreeHasNoUnresolvedOrDanglingPhandles() throws IOException {
        Map<Integer, String> targets = new HashMap<>();
        collectPhandles(dumps().ours(), "", targets);
        assertFalse(targets.isEmpty());
        assertFalse(normalized(dumps().ours(), "/pcie@10000000").get("interrupt-map").contains("?"));
        assertEquals("&/intc@8000000", normalized(dumps().ours(), "/").get("interrupt-parent"));
    }
}
