package org.vfio4j.virt.board;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.random.RandomGenerator;

import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.virt.MachineConfig;

import jakarta.inject.Inject;

/**
 * The loader: inspects the kernel and initrd, plans their place in RAM ({@link BootLayout}) and
 * writes {@code /chosen} (command line, console, initrd range, and fresh {@code rng-seed} /
 * {@code kaslr-seed} so the guest has entropy and KASLR from the first instruction, as QEMU provides).
 * Copying the files into guest RAM and setting the boot registers is the KVM runner's.
 */
public final class BootLoader {
    private final MachineConfig config;
    private final MemoryMap map;
    private final RandomGenerator random;

    @Inject
    BootLoader(MachineConfig config, MemoryMap map, RandomGenerator random) {
        this.config = config;
        this.map = map;
        this.random = random;
    }

    /**
     * The kernel's header facts.
     *
     * @throws IllegalArgumentException the file is no kernel this machine boots (the user's mistake)
     */
    public KernelImage kernel() {
        Path k = config.kernel();
        if (k == null) {
            throw new IllegalStateException("no -kernel in the configuration (help mode builds no machine)");
        }
        try {
            return KernelImage.inspect(k);
        } catch (KernelImage.FormatException e) {
            throw new IllegalArgumentException("-kernel " + k + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel " + k + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where everything goes.
     *
     * @throws IllegalArgumentException if RAM is too small (the message says how much is needed)
     */
    public BootLayout layout() {
        Path i = config.initrd();
        long initrdSize;
        try {
            initrdSize = BootLayout.initrdSize(i);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read initrd " + i + ": " + e.getMessage(), e);
        }
        return BootLayout.plan(map.ram(), kernel(), initrdSize);
    }

    /** {@code /chosen} for {@code layout}. */
    public DtNode chosenNode(BootLayout layout) {
        DtNode.Builder b = DtNode.builder("chosen");
        MmioRange initrd = layout.initrd();
        if (initrd != null) {
            b.property(address("linux,initrd-end", initrd.end()));
            b.property(address("linux,initrd-start", initrd.base()));
        }
        if (!config.append().isEmpty()) {
            b.property(DtProperty.strings("bootargs", config.append()));
        }
        b.property(DtProperty.strings("stdout-path", Pl011.PATH));
        int[] seed = new int[8];
        for (int n = 0; n < seed.length; n++) {
            seed[n] = random.nextInt();
        }
        b.property(DtProperty.u32("rng-seed", seed));
        b.property(DtProperty.u64("kaslr-seed", random.nextLong()));
        return b.build();
    }

    /** One cell when the address fits (as QEMU writes it), two otherwise; Linux reads either. */
    private static DtProperty address(String name, long value) {
        return (value >>> 32) == 0 ? DtProperty.u32(name, (int) value) : DtProperty.u64(name, value);
    }
}
