package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.jdt.annotation.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command-line mistake exits 2 with one clear line and no stack trace. */
class OptionErrorsTest {
    // Set by @BeforeEach (initialised so the null analysis sees non-null fields).
    private Path dir = Path.of("/nonexistent");
    private String kernel = "";

    @BeforeEach
    void kernel(@TempDir Path tmp) throws IOException {
        dir = tmp;
        kernel = MainHarness.dummyKernel(dir).toString();
    }

    private MainHarness.Run usageError(String expected, String... args) {
        MainHarness.Run r = MainHarness.run(args);
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in:\n" + r);
        assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r);
        assertFalse(r.err().contains("Exception"), "no exception names:\n" + r);
        return r;
    }

    @Test
    void unknownDeviceTypeListsKnownOnes() {
        usageError("unknown device type 'nope'; known types: pcie-root-port, platform-stub, vfio-amba, vfio-pci, vfio-platform", "-kernel", kernel, "-device", "nope,x=1");
    }

    @Test
    void unknownPropertyIsNamedWithTheAcceptedOnes() {
        usageError("platform-stub: unknown property 'colour'; platform-stub accepts: id, compat, size, irqs, edge",
                "-kernel", kernel, "-device", "platform-stub,compat=a,colour=red");
    }

    @Test
    void malformedPropertiesAreNamed() {
        usageError("malformed property '=x' (write name=value); platform-stub accepts: id, compat, size, irqs, edge", "-kernel", kernel, "-device", "platform-stub,=x");
        usageError("property 'compat' needs a value (compat=<str>)", "-kernel", kernel, "-device", "platform-stub,compat");
        usageError("malformed value for property 'irqs': 'many' is not an unsigned number", "-kernel", kernel,
                "-device", "platform-stub,compat=a,irqs=many");
        usageError("malformed value for property 'size'", "-kernel", kernel, "-device", "platform-stub,compat=a,size=4Q");
        usageError("missing required property compat=...", "-kernel", kernel, "-device", "platform-stub,irqs=1");
        usageError("property 'irqs' given twice", "-kernel", kernel, "-device", "platform-stub,irqs=1,irqs=2");
        usageError("duplicate id 'a'", "-kernel", kernel, "-device", "platform-stub,compat=x,id=a", "-device", "platform-stub,compat=y,id=a");
    }

    @Test
    void badSizesAreRejected() {
        usageError("-m 12Q: bad size: unknown size suffix 'Q'", "-m", "12Q", "-kernel", kernel);
        usageError("-m lots: bad size", "-m", "lots", "-kernel", kernel);
        usageError("-m 8M: bad size: at least 16M", "-m", "8M", "-kernel", kernel);
        usageError("-m 300G: bad size: at most 255G", "-m", "300G", "-kernel", kernel);
        usageError("multiple of 64K", "-m", "100000K", "-kernel", kernel);
    }

    @Test
    void missingKernelIsReported() {
        usageError("-kernel is required", "-m", "512M");
        usageError("-kernel " + dir.resolve("absent") + ": no such file", "-kernel", dir.resolve("absent").toString());
        usageError("-initrd " + dir.resolve("none") + ": no such file", "-kernel", kernel, "-initrd", dir.resolve("none").toString());
    }

    @Test
    void otherOptionMistakes() {
        usageError("unknown option '-bios'", "-bios", "x");
        usageError("option -smp needs an argument", "-smp");
        usageError("-smp 0: between 1 and 123 CPUs", "-smp", "0", "-kernel", kernel);
        usageError("-smp two: expected a CPU count", "-smp", "two", "-kernel", kernel);
        usageError("unknown machine property 'iommu'", "-machine", "virt,iommu=smmuv3", "-kernel", kernel);
        usageError("gic-version=2 is not supported", "-machine", "gic-version=2", "-kernel", kernel);
        usageError("-plugins " + dir.resolve("nodir") + ": no such directory", "-plugins", dir.resolve("nodir").toString(), "-kernel", kernel);
    }

    @Test
    void qmpMistakesAreNamed() throws IOException {
        usageError("-S waits for QMP's cont, but no QMP socket is given", "-S", "-kernel", kernel);
        Path file = Files.writeString(dir.resolve("not-a-socket"), "keep me");
        usageError(file + " exists and is not a socket of this user", "-qmp", "unix:" + file + ",server=on,wait=off",
                "-kernel", kernel);
        assertEquals("keep me", Files.readString(file), "a file that is not a socket is left alone");
        usageError("-qmp: cannot listen on " + dir.resolve("no/such/dir/vm.qmp"),
                "-qmp", "unix:" + dir.resolve("no/such/dir/vm.qmp") + ",server=on,wait=off", "-kernel", kernel);
    }

    @Test
    void aQmpSocketIsRemovedWhenTheRunFails() {
        Path socket = dir.resolve("vm.qmp");
        MainHarness.Run r = MainHarness.run("-m", "256M", "-kernel", kernel, "-qmp", "unix:" + socket + ",server=on,wait=off");
        assertEquals(1, r.status(), r.toString());
        assertFalse(Files.exists(socket), "the socket is removed on the way out:\n" + r);
    }

    @Test
    void ramTooSmallForKernelInitrdAndDtb() throws IOException {
        Path initrd = dir.resolve("big-initrd");
        Files.write(initrd, new byte[15 << 20]);
        usageError("guest RAM (16M) is too small for the kernel (1000000B), the initrd (15M) and the device tree (2M block); need at least 26M",
                "-m", "16M", "-kernel", kernel, "-initrd", initrd.toString());
    }

    @Test
    void deviceHelpListsTypesAndProperties() {
        MainHarness.Run types = MainHarness.run("-device", "help");
        assertEquals(0, types.status(), types.toString());
        assertTrue(types.out().contains("name \"platform-stub\", bus platform-bus, desc \""), types.toString());
        MainHarness.Run props = MainHarness.run("-device", "platform-stub,help");
        assertEquals(0, props.status(), props.toString());
        assertTrue(props.out().startsWith("platform-stub options:\n"), props.toString());
        assertTrue(props.out().contains("  compat=<str>"), props.toString());
        assertTrue(props.out().contains("irqs=<uint64>            - number of SPIs (default: 1)"), props.toString());
        usageError("unknown device type 'nope'", "-device", "nope,help");
    }

    @Test
    void withoutDumpdtbItSaysKvmIsNeededAndFails() {
        MainHarness.Run r = MainHarness.run("-m", "256M", "-kernel", kernel);
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().contains("running a guest needs KVM on an arm64 host"), r.toString());
    }

    @Test
    void versionPrintsTheBuildAndTheQemuReleaseItFollows() {
        MainHarness.Run r = MainHarness.run("-version");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().startsWith("vfio4j machine-virt ") && r.out().contains("QEMU 10.0"), r.toString());
    }

    @Test
    void thePidFileNamesTheVmmWhileItRunsAndIsGoneAfter() throws Exception {
        Path pid = dir.resolve("vm.pid");
        Path qmp = dir.resolve("vm.qmp");
        CountDownLatch listening = new CountDownLatch(1);
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(said, true, StandardCharsets.UTF_8) {
            @Override
            public void println(@Nullable String x) {
                super.println(x);
                if (x != null && x.contains("waiting for a QMP client")) {
                    listening.countDown();
                }
            }
        };
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(
                () -> Main.run(new String[] {"-kernel", kernel, "-pidfile", pid.toString(), "-qmp",
                    "unix:" + qmp + ",server=on,wait=on"}, new PrintStream(OutputStream
                    .nullOutputStream()), err));
        // wait=on holds the guest's start until a client comes: the VMM is up with its pid file meanwhile.
        assertTrue(listening.await(2, TimeUnit.MINUTES), said::toString);
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(pid));
        try (SocketChannel c = SocketChannel.open(
                UnixDomainSocketAddress.of(qmp))) {
            run.get(2, TimeUnit.MINUTES);   // no KVM here: the start fails, the VMM ends
        }
        assertFalse(Files.exists(pid), "no pid file names a VMM that has gone\n" + said);
    }
}
