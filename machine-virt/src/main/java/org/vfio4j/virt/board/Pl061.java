package org.vfio4j.virt.board;

import java.util.List;

import org.vfio4j.common.dt.DtCell;
import org.vfio4j.common.dt.DtNode;
import org.vfio4j.common.dt.DtProperty;

import jakarta.inject.Inject;

/**
 * The power button as QEMU's virt gives it to a guest: a PL061 GPIO at {@link MemoryMap#GPIO} on SPI
 * {@link MemoryMap#GPIO_SPI}, and a {@code gpio-keys} node whose {@code poweroff} key (KEY_POWER) is the
 * PL061's input {@link #POWER_PIN}, active high. This is what the guest is told; the emulation is
 * {@code emu.Pl061Gpio}, pressed by QMP's {@code system_powerdown}.
 */
public final class Pl061 {
    /** The PL061 input the power button drives. */
    public static final int POWER_PIN = 3;
    /** Linux's KEY_POWER. */
    static final int KEY_POWER = 116;
    private static final String LABEL = "pl061";

    @Inject
    Pl061() {
    }

    /** {@code /pl061@9030000}. */
    public DtNode node() {
        return DtNode.builder("pl061").unitAddress(MemoryMap.GPIO.base()).label(LABEL)
                .property(DtProperty.strings("clock-names", "apb_pclk"))
                .property(DtProperty.cells("clocks", List.of(DtCell.ref(Pl011.CLOCK_LABEL))))
                .property(DtProperty.cells("interrupts", Gicv3.spi(MemoryMap.GPIO_SPI, Trigger.LEVEL_HIGH)))
                .property(DtProperty.empty("gpio-controller"))
                .property(DtProperty.u32("#gpio-cells", 2))
                .property(DtProperty.strings("compatible", "arm,pl061", "arm,primecell"))
                .property(DtProperty.addressCells("reg", new int[] {2, 2}, MemoryMap.GPIO.base(), MemoryMap.GPIO.size()))
                .build();
    }

    /** {@code /gpio-keys} with its {@code poweroff} key. */
    public DtNode keysNode() {
        DtNode poweroff = DtNode.builder("poweroff")
                .property(DtProperty.cells("gpios", List.of(DtCell.ref(LABEL), DtCell.num(POWER_PIN), DtCell.num(0))))
                .property(DtProperty.u32("linux,code", KEY_POWER))
                .property(DtProperty.strings("label", "GPIO Key Poweroff"))
                .build();
        return DtNode.builder("gpio-keys").property(DtProperty.strings("compatible", "gpio-keys")).child(poweroff).build();
    }
}
