package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The demo's reading of the VMM's output: the figures in the verdict come from lines it really saw. */
class DemoGuestTest {
    private static final List<String> GOOD = List.of(
            "virt: VFIO container (TYPE1V2): guest RAM 0x0040000000-0x005fffffff (512M) DMA-mapped",
            "VFIO4J-GUEST-MARKER",
            "nvme: the guest's nvme driver probed 'QEMU NVMe Ctrl' (serial x), namespace nvme0n1 64 MiB",
            "IO-START blocks=4096",
            "write: 16 MiB in 3.04 s = 5.26 MiB/s",
            "read: 16 MiB in 2.96 s = 5.41 MiB/s",
            "IO-END",
            "CHECKSUM-OK 0123456789abcdef",
            "irq:  15:         14          0  ITS-PCI-MSIX-0000:00:01.0   0 Edge      nvme0q0",
            "irq:  17:          0       8192  ITS-PCI-MSIX-0000:00:01.0   2 Edge      nvme0q2",
            "virt: the guest powered off");

    private static DemoGuest.Result read(List<String> lines, int status) {
        DemoGuest.Narration n = new DemoGuest.Narration(System.nanoTime());
        lines.forEach(n::line);
        return n.result(status);
    }

    @Test
    void aCompleteRunGivesItsRatesAndTheSumOfEveryVectorOnEveryCpu() {
        DemoGuest.Result r = read(GOOD, 0);
        assertTrue(r.ok(), r.problem());
        assertEquals("5.26", r.writeRate());
        assertEquals("5.41", r.readRate());
        assertEquals(14 + 8192, r.msix());
        assertTrue(r.bootSeconds().matches("[0-9]+\\.[0-9]"), r.bootSeconds());
    }

    @Test
    void eachMissingPieceIsNamed() {
        assertEquals("the VMM exited with status 2", read(GOOD, 2).problem());
        assertEquals("the guest never printed its marker",
                read(GOOD.stream().filter(l -> !l.contains("MARKER")).toList(), 0).problem());
        assertEquals("the guest did not finish its writes and reads",
                read(GOOD.stream().filter(l -> !l.startsWith("read:")).toList(), 0).problem());
        assertEquals("what the guest read back differs from what it wrote", read(GOOD.stream()
                .map(l -> l.startsWith("CHECKSUM") ? "CHECKSUM-BAD a b" : l).toList(), 0).problem());
        assertEquals("no MSI-X interrupt reached the guest",
                read(GOOD.stream().filter(l -> !l.startsWith("irq:")).toList(), 0).problem());
    }
}
