package org.vfio4j.pci;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import org.vfio4j.common.SparseArea;

/**
 * In-memory devices built from config spaces captured in the lab (the real QEMU nvme and e1000e
 * as the lab host's kernel sees them) and the BAR sizes from the same run's sysfs {@code resource}.
 */
final class Captured {

    private Captured() {}

    private static String text(String name) {
        try (InputStream in = Captured.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + name + " missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> lines(String name) {
        return text(name).lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    }

    /** The captured device {@code name} ("nvme" or "e1000e"). */
    static FakePciHost device(String name) {
        byte[] config = HexFormat.of().parseHex(String.join("", lines(name + ".config")));
        FakePciHost host = new FakePciHost(config);
        List<String> resources = lines(name + ".resource");
        for (int i = 0; i < resources.size(); i++) {
            String[] f = resources.get(i).trim().split("\\s+");
            long start = Long.decode(f[0]);
            long end = Long.decode(f[1]);
            if (end == 0) {
                continue;
            }
            long size = end - start + 1;
            boolean io = (Long.decode(f[2]) & 0x100) != 0;
            boolean mmap = !io && i != RomBar.REGION;
            var region = new FakePciHost.FakeRegion(size, mmap ? List.of(new SparseArea(0, size)) : List.of());
            if (i == RomBar.REGION) {
                region.write(0, 2, 0xAA55);
            }
            host.regions.put(i, region);
        }
        host.irqCounts.put(PciIrqIndex.INTX, config[0x3D] != 0 ? 1 : 0);
        int at = config[0x34] & 0xFC;
        for (int n = 0; at != 0 && n < 48; n++) {
            int id = config[at] & 0xFF;
            int control = (config[at + 2] & 0xFF) | (config[at + 3] & 0xFF) << 8;
            if (id == MsiCapability.ID) {
                host.irqCounts.put(PciIrqIndex.MSI, 1 << ((control >>> 1) & 7));
            } else if (id == MsixCapability.ID) {
                host.irqCounts.put(PciIrqIndex.MSIX, (control & 0x7FF) + 1);
            }
            at = config[at + 1] & 0xFC;
        }
        return host;
    }
}
