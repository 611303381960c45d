package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.common.sys.HeaderCheck;
import org.vfio4j.common.sys.Native;
import org.vfio4j.virt.emu.Pl011Uart;

/** The console's Ctrl-A escapes, byte by byte, and the raw terminal settings against the kernel's headers. */
class ConsoleEscapeTest {
    private static List<ConsoleEscape.Action> actions(int... bytes) {
        ConsoleEscape e = new ConsoleEscape();
        List<ConsoleEscape.Action> out = new ArrayList<>();
        for (int b : bytes) {
            out.add(e.next(b));
        }
        return out;
    }

    @Test
    void ctrlAThenAKeyActsAndEverythingElseGoesToTheGuest() {
        assertEquals(List.of(ConsoleEscape.Action.SEND, ConsoleEscape.Action.SEND), actions('l', 0x03),
                "Ctrl-C goes to the guest");
        assertEquals(List.of(ConsoleEscape.Action.SWALLOW, ConsoleEscape.Action.QUIT), actions(0x01, 'x'));
        assertEquals(List.of(ConsoleEscape.Action.SWALLOW, ConsoleEscape.Action.SEND, ConsoleEscape.Action.SEND),
                actions(0x01, 0x01, 'x'), "Ctrl-A Ctrl-A sends one Ctrl-A; the x after it is plain");
        assertEquals(List.of(ConsoleEscape.Action.SWALLOW, ConsoleEscape.Action.HELP, ConsoleEscape.Action.SWALLOW,
                ConsoleEscape.Action.MONITOR), actions(0x01, 'h', 0x01, 'c'));
        assertEquals(List.of(ConsoleEscape.Action.SWALLOW, ConsoleEscape.Action.SWALLOW, ConsoleEscape.Action.SEND),
                actions(0x01, 'q', 'q'), "an unknown key after Ctrl-A is dropped, the next one is not");
    }

    @Test
    void thePumpQuitsOnCtrlAXAndFeedsTheRest() throws Exception {
        ByteArrayOutputStream guestOut = new ByteArrayOutputStream();
        Pl011Uart uart = new Pl011Uart(level -> { }, new PrintStream(guestOut));
        ByteArrayOutputStream messages = new ByteArrayOutputStream();
        AtomicInteger quits = new AtomicInteger();
        byte[] input = {'a', 0x01, 'h', 0x01, 0x01, 0x01, 'x', 'z'};
        ByteArrayInputStream in = new ByteArrayInputStream(input);
        StdinPump.of(in, uart, new ConsoleEscape(), quits::incrementAndGet,
                new PrintStream(messages, true, StandardCharsets.UTF_8)).run();
        assertEquals(1, quits.get());
        assertEquals(1, in.available(), "it stopped reading at Ctrl-A x");
        assertTrue(messages.toString(StandardCharsets.UTF_8).contains("C-a x    exit the VMM"));
        assertEquals('a', uart.read(0, 4) & 0xff, "the guest got the plain byte");
        assertEquals(0x01, uart.read(0, 4) & 0xff, "and one Ctrl-A for the two");
    }

    @Test
    void rawModeClearsEchoLineEditingAndSignalsAndKeepsOutputProcessing() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = a.allocate(ConsoleTerminal.SIZE, 4);
            t.set(ValueLayout.JAVA_INT, ConsoleTerminal.IFLAG, ConsoleTerminal.ICRNL | ConsoleTerminal.IXON | 0x4000);
            t.set(ValueLayout.JAVA_INT, ConsoleTerminal.LFLAG, ConsoleTerminal.ECHO | ConsoleTerminal.ICANON
                    | ConsoleTerminal.ISIG | 0x200);
            t.set(ValueLayout.JAVA_INT, ConsoleTerminal.OFLAG, 04); // ONLCR
            ConsoleTerminal.makeRaw(t);
            assertEquals(0x4000, t.get(ValueLayout.JAVA_INT, ConsoleTerminal.IFLAG), "other input flags stay");
            assertEquals(0x200, t.get(ValueLayout.JAVA_INT, ConsoleTerminal.LFLAG), "other local flags stay");
            assertEquals(04 | ConsoleTerminal.OPOST, t.get(ValueLayout.JAVA_INT, ConsoleTerminal.OFLAG));
            assertEquals(1, t.get(ValueLayout.JAVA_BYTE, ConsoleTerminal.CC + ConsoleTerminal.VMIN));
        }
    }

    /** On a real pseudo-terminal of this host: raw while held, as it was after close; a pipe is left alone. */
    @Test
    void aPseudoTerminalIsRawWhileHeldAndRestoredAfter() {
        int master = Native.open("/dev/ptmx", Native.O_RDWR | Native.O_CLOEXEC | 0x100 /* O_NOCTTY */);
        Assumptions.assumeTrue(master >= 0, "no /dev/ptmx on this host");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            assertEquals(0, Native.ioctl(master, 0x40045431L /* TIOCSPTLCK */, n));
            assertEquals(0, Native.ioctl(master, 0x80045430L /* TIOCGPTN */, n));
            int slave = Native.open("/dev/pts/" + n.get(ValueLayout.JAVA_INT, 0), Native.O_RDWR | Native.O_CLOEXEC | 0x100);
            assertTrue(slave >= 0, "open the pty's slave: " + slave);
            try {
                int before = lflag(a, slave);
                assertTrue((before & (ConsoleTerminal.ECHO | ConsoleTerminal.ICANON | ConsoleTerminal.ISIG)) != 0);
                try (ConsoleTerminal t = ConsoleTerminal.raw(slave)) {
                    assertTrue(t.isRaw());
                    assertEquals(0, lflag(a, slave) & (ConsoleTerminal.ECHO | ConsoleTerminal.ICANON | ConsoleTerminal.ISIG));
                }
                assertEquals(before, lflag(a, slave), "restored");
            } finally {
                Native.close(slave);
            }
        } finally {
            Native.close(master);
        }
        int notATerminal = Native.eventfd(0, 0);
        try (ConsoleTerminal t = ConsoleTerminal.raw(notATerminal)) {
            assertTrue(!t.isRaw(), "not a terminal: untouched");
        } finally {
            Native.close(notATerminal);
        }
    }

    private static int lflag(Arena a, int fd) {
        MemorySegment t = a.allocate(ConsoleTerminal.SIZE, 4);
        assertEquals(0, Native.ioctl(fd, ConsoleTerminal.TCGETS, t));
        return t.get(ValueLayout.JAVA_INT, ConsoleTerminal.LFLAG);
    }

    @Test
    void theTermiosFactsAgreeWithTheKernelsHeaders(@TempDir Path dir) throws Exception {
        HeaderCheck check = new HeaderCheck("asm/termbits.h", "asm/ioctls.h");
        StructLayout termios = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("c_iflag"),
                ValueLayout.JAVA_INT.withName("c_oflag"), ValueLayout.JAVA_INT.withName("c_cflag"),
                ValueLayout.JAVA_INT.withName("c_lflag"), ValueLayout.JAVA_BYTE.withName("c_line"),
                MemoryLayout.sequenceLayout(19, ValueLayout.JAVA_BYTE).withName("c_cc")).withName("termios");
        check.struct(termios);
        check.java.put("sizeof termios", (long) ConsoleTerminal.SIZE);
        check.java.put("offsetof termios.c_cc", (long) ConsoleTerminal.CC);
        for (Field f : ConsoleTerminal.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && (f.getType() == int.class || f.getType() == long.class)
                    && !List.of("SIZE", "IFLAG", "OFLAG", "CFLAG", "LFLAG", "CC").contains(f.getName())) {
                f.setAccessible(true);
                check.constant(f.getName(), f.get(null), f.getName());
            }
        }
        check.compileAndRun(dir, List.of("gcc"), "compile (apt-get install gcc linux-libc-dev)", List.of(), "run", 60);
        assertEquals(List.of(), check.disagreements());
        assertTrue(check.c.containsKey("const TCSETS") && check.c.containsKey("const IEXTEN"), check.c.toString());
    }
}
