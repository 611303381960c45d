package org.vfio4j.virt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** QEMU's spellings of a QMP socket (-qmp, -chardev + -mon), -S, -name, -pidfile and -version. */
class ControlOptionsTest {
    private static ControlOptions parse(String... args) throws Exception {
        return CommandLine.parse(args).control();
    }

    private static String error(String... args) {
        return assertThrows(UsageException.class, () -> CommandLine.parse(args)).getMessage();
    }

    private static ControlOptions.QmpSocket socket(String path, boolean waitForClient) {
        return new ControlOptions.QmpSocket(Path.of(path), waitForClient);
    }

    @Test
    void qmpSocketsAreListedInOrderWithQemusWaitDefault() throws Exception {
        ControlOptions c = parse("-qmp", "unix:/run/a.qmp,server=on,wait=off", "-qmp", "unix:/run/b.qmp,server=on",
                "-qmp", "unix:/run/c.qmp,server,nowait");
        assertEquals(List.of(socket("/run/a.qmp", false), socket("/run/b.qmp", true), socket("/run/c.qmp", false)),
                c.qmp());
        assertFalse(c.startPaused());
        assertEquals(ControlOptions.NONE, parse("-m", "64M"));
    }

    @Test
    void aChardevBecomesQmpThroughItsMonitor() throws Exception {
        ControlOptions c = parse("-chardev", "socket,id=qmp0,path=/run/vm.qmp,server=on,wait=off",
                "-mon", "chardev=qmp0,mode=control,pretty=on", "-S");
        assertEquals(List.of(socket("/run/vm.qmp", false)), c.qmp());
        assertTrue(c.startPaused());
        assertEquals(List.of(), parse("-chardev", "socket,id=unused,path=/run/x,server=on").qmp(),
                "a chardev no monitor names is not listened on");
    }

    @Test
    void mistakesAreNamedWithWhatToDo() {
        assertTrue(error("-qmp", "tcp:localhost:4444,server=on").contains("only UNIX sockets are supported"));
        assertTrue(error("-qmp", "unix:/run/vm.qmp").contains("give server=on"));
        assertTrue(error("-qmp", "unix:,server=on").contains("give the socket's path"));
        assertTrue(error("-qmp", "unix:/run/vm.qmp,server=on,wait=maybe").contains("wait=maybe: on or off"));
        assertTrue(error("-qmp", "unix:/run/vm.qmp,server=on,telnet=on").contains("unknown property 'telnet'"));
        assertTrue(error("-qmp", "unix:/run/vm.qmp,server=on,server=off").contains("server is given twice"));
        assertTrue(error("-chardev", "socket,path=/run/vm.qmp,server=on").contains("give it an id"));
        assertTrue(error("-chardev", "pty,id=c0").contains("only the socket backend"));
        assertTrue(error("-chardev", "socket,id=c0,host=localhost,port=4444,server=on").contains("TCP"));
        assertTrue(error("-chardev", "socket,id=c0,path=/a,server=on", "-chardev", "socket,id=c0,path=/b,server=on")
                .contains("id=c0 is given twice"));
        assertTrue(error("-mon", "chardev=c1,mode=control", "-chardev", "socket,id=c0,path=/a,server=on")
                .contains("no -chardev has id=c1; the character devices are [c0]"));
        assertTrue(error("-chardev", "socket,id=c0,path=/a,server=on", "-mon", "chardev=c0,mode=readline")
                .contains("only QMP is available"));
        assertTrue(error("-mon", "mode=control").contains("name its character device"));
    }

    @Test
    void nameAndPidFileAreTakenAsQemuSpellsThem() throws Exception {
        ControlOptions c = parse("-name", "guest=web,,1", "-pidfile", "/run/web.pid");
        assertEquals("web,1", c.name(), "guest= is optional and ,, is a literal comma, as in QEMU");
        assertEquals(Path.of("/run/web.pid"), c.pidFile());
        assertEquals("db", parse("-name", "db").name());
        assertTrue(error("-name", "db,process=qemu-db").contains("process= and debug-threads= are not"));
        assertTrue(error("-name", "a\tb").contains("printable characters"));
        assertTrue(error("-name", "guest=").contains("printable characters"));
    }

    @Test
    void versionStopsTheParseWhereverItIs() throws Exception {
        assertTrue(CommandLine.parse(new String[] {"-m", "64M", "-version", "-nonsense"}).version());
        assertTrue(CommandLine.parse(new String[] {"--version"}).version());
        assertFalse(CommandLine.parse(new String[] {"-m", "64M"}).version());
    }

    @Test
    void serialBackendsAreSpelledAsQemuSpellsThem() throws Exception {
        MachineConfig c = CommandLine.parse(new String[] {"-m", "64M", "-nographic", "-serial", "mon:stdio"}).config();
        assertEquals(64L << 20, c.ramBytes(), "-nographic takes no argument: -m still parses after it");
        assertEquals(ControlOptions.Serial.STDIO, parse().serial());
        assertEquals(ControlOptions.Serial.STDIO, parse("-serial", "stdio").serial());
        assertEquals(new ControlOptions.Serial(ControlOptions.Serial.Kind.FILE, Path.of("/tmp/console.log"), false),
                parse("-serial", "file:/tmp/console.log").serial());
        assertEquals(ControlOptions.Serial.Kind.PTY, parse("-serial", "pty").serial().kind());
        assertEquals(ControlOptions.Serial.Kind.NULL, parse("-serial", "null").serial().kind());
        assertEquals(new ControlOptions.Serial(ControlOptions.Serial.Kind.UNIX, Path.of("/run/s"), true),
                parse("-serial", "unix:/run/s,server=on").serial(), "wait=on is QEMU's default for a server");
        assertEquals(new ControlOptions.Serial(ControlOptions.Serial.Kind.UNIX, Path.of("/run/s"), false),
                parse("-serial", "unix:/run/s,server,nowait").serial());
        assertTrue(error("-serial", "unix:/run/s").contains("listen with server=on"));
        assertTrue(error("-serial", "unix:/run/s,server=on,bogus").contains("unknown option 'bogus'"));
        assertTrue(error("-serial", "tcp:localhost:4444").contains("the backend 'tcp' is not offered"));
        assertTrue(error("-serial", "pty", "-serial", "null").contains("one UART"));
        assertTrue(error("-serial").contains("-serial"), "a missing value is named");
    }

    @Test
    void sandboxIsOnForItsOwnProcessUnlessSaidAndSpelledAsQemuSpellsIt() throws Exception {
        ControlOptions.Sandboxing none = parse().sandbox();
        assertEquals(ControlOptions.Sandboxing.DEFAULT, none);
        assertTrue(none.installs(true), "the launcher's VMM is sandboxed by default");
        assertFalse(none.installs(false), "a VMM inside another program's JVM is not, unless asked");
        assertEquals(ControlOptions.Sandboxing.ON, parse("-sandbox", "on").sandbox());
        assertTrue(parse("-sandbox", "on").sandbox().installs(false));
        assertEquals(ControlOptions.Sandboxing.OFF, parse("-sandbox", "off").sandbox());
        assertFalse(parse("-sandbox", "off").sandbox().installs(true));
        assertEquals(ControlOptions.Sandboxing.LOG, parse("-sandbox", "on,x-log-denied=on").sandbox());
        assertEquals(org.vfio4j.common.sandbox.Sandbox.Mode.LOG, parse("-sandbox", "on,x-log-denied=on").sandbox()
                .mode(false));
        assertEquals(org.vfio4j.common.sandbox.Sandbox.Mode.ENFORCE, none.mode(true));
        assertEquals(null, none.mode(false));
        assertEquals(ControlOptions.Sandboxing.ON, parse("-sandbox", "on,obsolete=deny,spawn=deny,elevateprivileges=deny")
                .sandbox());
        assertTrue(error("-sandbox", "on,spawn=allow").contains("spawn=allow is not offered"));
        assertTrue(error("-sandbox", "yes").contains("on or off first"));
        assertTrue(error("-sandbox", "on,bogus=1").contains("unknown option 'bogus'"));
        assertTrue(error("-sandbox", "off,x-log-denied=on").contains("-sandbox off alone"));
    }
}
