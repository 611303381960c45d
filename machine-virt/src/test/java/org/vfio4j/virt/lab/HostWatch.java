package org.vfio4j.virt.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.vfio4j.lab.LabDevice;

/**
 * What the lab host sees of an assigned device around one hostile run: its config header (everything but command
 * and status, which the guest legitimately drives), and the kernel log lines an escape would leave (SMMU events,
 * {@code WARNING:}, {@code BUG:}). Plus the host-wide facts a dead VMM must leave clean: who holds {@code /dev/vfio},
 * and how many pages are pinned for DMA.
 */
final class HostWatch {
    private static final Pattern ESCAPE = Pattern.compile("arm-smmu-v3.*(event|fault)|WARNING:|BUG:",
            Pattern.CASE_INSENSITIVE);

    private final LabDevice device;
    private final byte[] header;
    private final int dmesgLines;

    private HostWatch(LabDevice device, byte[] header, int dmesgLines) {
        this.device = device;
        this.header = header;
        this.dmesgLines = dmesgLines;
    }

    /** Takes the before picture. */
    static HostWatch start(LabDevice device) {
        return new HostWatch(device, header(device), dmesg().size());
    }

    /** What changed since {@link #start}: one line per changed header byte or new kernel complaint; empty is good. */
    List<String> changes() {
        List<String> out = new ArrayList<>();
        byte[] now = header(device);
        for (int i = 0; i < header.length; i++) {
            if (i >= 4 && i < 8) {
                continue;
            }
            if (header[i] != now[i]) {
                out.add(String.format("host config byte 0x%02x: 0x%02x -> 0x%02x", i, header[i] & 0xff, now[i] & 0xff));
            }
        }
        List<String> log = dmesg();
        for (String l : log.subList(Math.min(dmesgLines, log.size()), log.size())) {
            if (ESCAPE.matcher(l).find()) {
                out.add("host kernel: " + l);
            }
        }
        return out;
    }

    private static byte[] header(LabDevice device) {
        try {
            byte[] all = Files.readAllBytes(Path.of("/sys/bus/pci/devices", device.bdf(), "config"));
            return java.util.Arrays.copyOf(all, 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> dmesg() {
        try {
            Process p = new ProcessBuilder("dmesg").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return text.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Pages pinned for DMA right now, host-wide: {@code nr_foll_pin_acquired - nr_foll_pin_released}. */
    static long pinnedPages() {
        long acquired = -1;
        long released = -1;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/vmstat"))) {
                if (l.startsWith("nr_foll_pin_acquired ")) {
                    acquired = Long.parseLong(l.substring(l.indexOf(' ') + 1).trim());
                } else if (l.startsWith("nr_foll_pin_released ")) {
                    released = Long.parseLong(l.substring(l.indexOf(' ') + 1).trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (acquired < 0 || released < 0) {
            throw new AssertionError("/proc/vmstat has no nr_foll_pin_acquired/released");
        }
        return acquired - released;
    }

    /** Processes (other than this one) holding a {@code /dev/vfio} file open, as "PID: path". */
    static List<String> vfioHolders() {
        List<String> out = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                if (Long.parseLong(proc.getFileName().toString()) == self) {
                    continue;
                }
                try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
                    for (Path fd : fds.toList()) {
                        try {
                            String target = Files.readSymbolicLink(fd).toString();
                            if (target.startsWith("/dev/vfio/")) {
                                out.add(proc.getFileName() + ": " + target);
                            }
                        } catch (IOException e) {
                            // the fd closed while we looked
                        }
                    }
                } catch (IOException e) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
