package org.vfio4j.common.tool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vfio4j.common.DeviceFlag;
import org.vfio4j.common.IommuInfo;
import org.vfio4j.common.IrqInfo;
import org.vfio4j.common.PciDependentDevice;
import org.vfio4j.common.PlainVfioDevice;
import org.vfio4j.common.RegionCapability;
import org.vfio4j.common.RegionInfo;
import org.vfio4j.common.SparseArea;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.VfioGroup;

/** What {@code vfio4j info} reports about one device, gathered through the library and rendered as text. */
final class DeviceReport {
    private static final String[] PCI_REGIONS = {"BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA"};
    private static final String[] PCI_IRQS = {"INTx", "MSI", "MSI-X", "ERR", "REQ"};

    private DeviceReport() {
    }

    static Map<String, Object> collect(String name, int groupNumber, boolean noIommu) {
        Map<String, Object> m = new LinkedHashMap<>();
        try (VfioContainer c = noIommu ? VfioContainer.openUnsafeNoIommu() : VfioContainer.open();
                VfioGroup g = c.attach(groupNumber);
                PlainVfioDevice dev = g.openDevice(name)) {
            boolean pci = dev.info().has(DeviceFlag.PCI);
            m.put("device", name);
            m.put("group", groupNumber);
            m.put("iommu", c.iommuType().map(Enum::name).orElse("none"));
            m.put("flags", dev.info().flags().stream().map(Enum::name).toList());
            if (c.iommuType().map(t -> t.canMapDma()).orElse(false)) {
                IommuInfo ii = c.iommuInfo();
                Map<String, Object> im = new LinkedHashMap<>();
                im.put("page_sizes", "0x" + Long.toHexString(ii.pageSizes()));
                im.put("iova_ranges", ii.iovaRanges().stream().map(Object::toString).toList());
                ii.dmaAvailable().ifPresent(a -> im.put("dma_mappings_available", a));
                m.put("iommu_info", im);
            }
            List<Map<String, Object>> regions = new ArrayList<>();
            for (int i = 0; i < dev.info().numRegions(); i++) {
                RegionInfo r = dev.regionInfo(i);
                Map<String, Object> rm = new LinkedHashMap<>();
                rm.put("index", i);
                rm.put("name", pci && i < PCI_REGIONS.length ? PCI_REGIONS[i] : "region" + i);
                rm.put("size", "0x" + Long.toHexString(r.size()));
                rm.put("offset", "0x" + Long.toHexString(r.offset()));
                rm.put("access", (r.readable() ? "r" : "-") + (r.writable() ? "w" : "-") + (r.mmappable() ? "m" : "-"));
                rm.put("mmap_areas", r.mmapAreas().stream().map(DeviceReport::area).toList());
                rm.put("caps", r.caps().stream().map(DeviceReport::cap).toList());
                regions.add(rm);
            }
            m.put("regions", regions);
            List<Map<String, Object>> irqs = new ArrayList<>();
            for (int i = 0; i < dev.info().numIrqs(); i++) {
                IrqInfo q = dev.irqInfo(i);
                Map<String, Object> qm = new LinkedHashMap<>();
                qm.put("index", i);
                qm.put("name", pci && i < PCI_IRQS.length ? PCI_IRQS[i] : "irq" + i);
                qm.put("count", q.count());
                List<String> f = new ArrayList<>();
                if (q.eventfd()) {
                    f.add("eventfd");
                }
                if (q.maskable()) {
                    f.add("maskable");
                }
                if (q.automasked()) {
                    f.add("automasked");
                }
                if (q.noresize()) {
                    f.add("noresize");
                }
                qm.put("flags", f);
                irqs.add(qm);
            }
            m.put("irqs", irqs);
            if (pci) {
                try {
                    m.put("hot_reset_affects", dev.pciHotResetInfo().stream().map(PciDependentDevice::bdf).toList());
                } catch (VfioException e) {
                    m.put("hot_reset_affects", "unavailable: " + e.getMessage());
                }
            }
        }
        return m;
    }

    private static String area(SparseArea a) {
        return "[0x" + Long.toHexString(a.offset()) + ", 0x" + Long.toHexString(a.offset() + a.size()) + ")";
    }

    private static String cap(RegionCapability c) {
        return switch (c) {
            case RegionCapability.SparseMmap s -> "sparse-mmap(" + s.areas().size() + " areas)";
            case RegionCapability.Type t -> "type(" + Integer.toHexString(t.type()) + ":" + t.subtype() + ")";
            case RegionCapability.MsixMappable x -> "msix-mappable";
            case RegionCapability.Unknown u -> "cap" + u.id() + "v" + u.version();
        };
    }

    static String text(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder();
        sb.append(m.get("device")).append("  group ").append(m.get("group")).append("  iommu ").append(m.get("iommu"))
                .append("  flags ").append(m.get("flags")).append('\n');
        Object cdev = m.get("cdev");
        if (cdev != null) {
            sb.append("  backends ").append(m.get("backends")).append("".equals(cdev) ? "" : ", cdev " + cdev).append('\n');
        }
        Object ii = m.get("iommu_info");
        if (ii instanceof Map<?, ?> im) {
            sb.append("  IOMMU page sizes ").append(im.get("page_sizes")).append(", valid IOVA ")
                    .append(im.get("iova_ranges"));
            Object avail = im.get("dma_mappings_available");
            if (avail != null) {
                sb.append(", ").append(avail).append(" DMA mappings available");
            }
            sb.append('\n');
        }
        sb.append("  regions:\n");
        for (Object o : (List<?>) m.getOrDefault("regions", List.of())) {
            if (!(o instanceof Map<?, ?> r) || "0x0".equals(r.get("size"))) {
                continue;
            }
            sb.append(String.format("    %-2s %-7s size %-12s offset %-16s %s  mmap %s %s%n", r.get("index"), r.get("name"),
                    r.get("size"), r.get("offset"), r.get("access"), r.get("mmap_areas"), r.get("caps")));
        }
        sb.append("  irqs:\n");
        for (Object o : (List<?>) m.getOrDefault("irqs", List.of())) {
            if (!(o instanceof Map<?, ?> q)) {
                continue;
            }
            sb.append(String.format("    %-2s %-6s count %-4s %s%n", q.get("index"), q.get("name"), q.get("count"), q.get("flags")));
        }
        Object hr = m.get("hot_reset_affects");
        if (hr != null) {
            sb.append("  hot reset affects: ").append(hr).append('\n');
        }
        return sb.toString();
    }
}
