package org.vfio4j.virt.builtin;

import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.vfio4j.common.dt.DtCell;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;
import org.vfio4j.platform.HostPlatformDevice;
import org.vfio4j.platform.PlatformPassthrough;
import org.vfio4j.platform.PlatformSetupException;
import org.vfio4j.virt.board.Pl011;
import org.vfio4j.virt.device.PlatformBus;

/**
 * {@code -device vfio-amba,host=NAME[,...]}: an AMBA PrimeCell (PL031 RTC, PL061 GPIO, ...) bound to
 * vfio-amba. Its node says {@code arm,primecell} and names the machine's APB clock
 * ({@code clocks = <&apb_pclk>; clock-names = "apb_pclk"}): the Linux AMBA bus reads the PrimeCell ID
 * registers only after enabling that clock, and does not probe a node without it.
 */
public final class VfioAmbaType extends PlatformPassthroughType {
    /** The {@code -device} name. */
    public static final String NAME = "vfio-amba";
    /** The compatible every PrimeCell node carries (the AMBA bus matches on it). */
    public static final String PRIMECELL = "arm,primecell";

    @Inject
    VfioAmbaType(PlatformBus bus) {
        super(bus);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a host AMBA PrimeCell bound to vfio-amba (arm,primecell node with the apb_pclk clock)";
    }

    @Override
    protected void accept(HostPlatformDevice host) {
        if (!"amba".equals(host.bus())) {
            throw new PlatformSetupException(host.name() + " is on the " + host.bus() + " bus, not the AMBA bus; "
                    + ("platform".equals(host.bus()) ? "use -device vfio-platform,host=" + host.name() : "it cannot be assigned here"));
        }
    }

    @Override
    protected DtNode node(PlatformPassthrough model, AllocationPlacement placement) {
        List<String> compat = new ArrayList<>(model.compatible());
        if (!compat.contains(PRIMECELL)) {
            compat.add(PRIMECELL);
        }
        String first = compat.getFirst();
        return placement.nodeBuilder(first.substring(first.indexOf(',') + 1), compat, model.host().triggers())
                .property(DtProperty.cells("clocks", List.of(DtCell.ref(Pl011.CLOCK_LABEL))))
                .property(DtProperty.strings("clock-names", "apb_pclk"))
                .build();
    }
}
