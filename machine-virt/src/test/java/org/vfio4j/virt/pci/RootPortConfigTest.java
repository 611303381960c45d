package org.vfio4j.virt.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The root port's config space as the guest's PCI core and pciehp drive it. */
class RootPortConfigTest {
    private static final int ALL_EVENTS = RootPortConfig.SLTCTL_ABPE | RootPortConfig.SLTCTL_PDCE
            | RootPortConfig.SLTCTL_CCIE | RootPortConfig.SLTCTL_DLLSCE | RootPortConfig.SLTCTL_HPIE;

    /** Records the interrupts and slot-off calls. */
    private static final class Recorder implements RootPortConfig.Events {
        final List<String> msis = new ArrayList<>();
        int slotOffs;

        @Override
        public void interrupt(long address, int data) {
            msis.add(Long.toHexString(address) + "/" + Integer.toHexString(data));
        }

        @Override
        public void slotOff() {
            slotOffs++;
        }
    }

    private final Recorder events = new Recorder();

    private RootPortConfig port(boolean present) {
        return new RootPortConfig(5, 2, false, present, events);
    }

    /** What the guest's portdrv does: MSI address and data, then enable. */
    private static void enableMsi(RootPortConfig c) {
        c.configWrite(RootPortConfig.MSI + 4, 4, 0x0809_0040);
        c.configWrite(RootPortConfig.MSI + 8, 4, 0);
        c.configWrite(RootPortConfig.MSI + 0x0c, 2, 0x21);
        c.configWrite(RootPortConfig.MSI + 2, 2, 1);
    }

    private static int control(RootPortConfig c) {
        return c.configRead(RootPortConfig.SLTCTL, 2);
    }

    private static int status(RootPortConfig c) {
        return c.configRead(RootPortConfig.SLTSTA, 2);
    }

    /** A slot control write keeping the power and indicator bits as they are, with {@code events} enabled. */
    private static void enable(RootPortConfig c, int events) {
        c.configWrite(RootPortConfig.SLTCTL, 2, control(c) & ~0x103f | events);
    }

    @Test
    void itIsAPciToPciBridgeWithAHotPlugSlotAndMsi() {
        RootPortConfig c = port(false);
        assertEquals(0x000c_1b36, c.configRead(0, 4));
        assertEquals(0x0604, c.configRead(0x0a, 2));
        assertEquals(0x01, c.configRead(0x0e, 1));
        assertEquals(RootPortConfig.EXP, c.configRead(0x34, 1));
        assertEquals(0x10, c.configRead(RootPortConfig.EXP, 1));
        assertEquals(RootPortConfig.MSI, c.configRead(RootPortConfig.EXP + 1, 1));
        assertEquals(0x42, c.configRead(RootPortConfig.EXP + 2, 2) & 0xf0 | 2, "a root port, capability version 2");
        assertEquals(0x05, c.configRead(RootPortConfig.MSI, 1));
        assertEquals(0, c.configRead(RootPortConfig.MSI + 1, 1), "the last capability");
        int caps = c.configRead(RootPortConfig.SLTCAP, 4);
        assertEquals(5, caps >>> 19, "physical slot number");
        int wanted = RootPortConfig.SLTCAP_HPC | RootPortConfig.SLTCAP_ABP | RootPortConfig.SLTCAP_PCP
                | RootPortConfig.SLTCAP_AIP | RootPortConfig.SLTCAP_PIP;
        assertEquals(wanted, caps & wanted);
        assertEquals(0, caps & 1 << 18, "command completed is signalled (no NCCS)");
        assertEquals(0, c.configRead(0x100, 4), "no extended capabilities");
        assertEquals(0, c.configRead(0x3d, 1), "no INTx pin: MSI only");
    }

    @Test
    void anEmptySlotStartsOffAndAnOccupiedOneOnWithItsLinkUp() {
        RootPortConfig empty = port(false);
        assertEquals(0, status(empty) & RootPortConfig.SLTSTA_PDS);
        assertTrue((control(empty) & RootPortConfig.SLTCTL_PCC) != 0);
        assertEquals(RootPortConfig.INDICATOR_OFF, empty.powerIndicator());
        assertEquals(0, empty.configRead(RootPortConfig.LNKSTA, 2) & RootPortConfig.LNKSTA_DLLLA);
        RootPortConfig full = port(true);
        assertTrue((status(full) & RootPortConfig.SLTSTA_PDS) != 0);
        assertEquals(0, control(full) & RootPortConfig.SLTCTL_PCC);
        assertEquals(RootPortConfig.INDICATOR_ON, full.powerIndicator());
        assertTrue((full.configRead(RootPortConfig.LNKSTA, 2) & RootPortConfig.LNKSTA_DLLLA) != 0);
        assertTrue((full.configRead(RootPortConfig.LNKSTA, 2) & 0x3f0) != 0, "a negotiated link width");
    }

    @Test
    void theGuestNumbersTheBusesAndSetsTheWindowsButNotWhatTheMachineOwns() {
        RootPortConfig c = port(false);
        c.configWrite(0x18, 4, 0x0003_0100);
        assertEquals(1, c.secondaryBus());
        assertEquals(3, c.subordinateBus());
        c.configWrite(0x20, 4, 0x1010_1000);
        assertEquals(0x1000_0000L, c.memoryWindow()[0]);
        assertEquals(0x101f_ffffL, c.memoryWindow()[1]);
        c.configWrite(0x24, 4, 0x8010_8000);
        c.configWrite(0x28, 4, 0x80);
        c.configWrite(0x2c, 4, 0x80);
        assertEquals(0x80_8000_0000L, c.prefetchableWindow()[0]);
        assertEquals(0x80_801f_ffffL, c.prefetchableWindow()[1]);
        assertEquals(1, c.configRead(0x24, 2) & 0xf, "64-bit prefetchable window, whatever was written");
        c.configWrite(0, 4, 0);
        c.configWrite(RootPortConfig.SLTCAP, 4, 0);
        c.configWrite(RootPortConfig.SLTSTA, 2, RootPortConfig.SLTSTA_PDS);
        c.configWrite(RootPortConfig.EXP, 4, 0);
        c.configWrite(0x1000, 4, -1);
        assertEquals(0x000c_1b36, c.configRead(0, 4));
        assertEquals(5, c.configRead(RootPortConfig.SLTCAP, 4) >>> 19);
        assertEquals(RootPortConfig.MSI, c.configRead(RootPortConfig.EXP + 1, 1));
        assertEquals(0, status(c) & RootPortConfig.SLTSTA_PDS, "presence is the machine's");
    }

    @Test
    void aDeviceArrivingSendsOneMsiUntilTheGuestClearsTheEvents() {
        RootPortConfig c = port(false);
        enableMsi(c);
        enable(c, ALL_EVENTS);
        c.configWrite(RootPortConfig.SLTSTA, 2, status(c));   // the guest clears what it read, as pciehp does
        events.msis.clear();
        c.presence(true);
        assertEquals(List.of("8090040/21"), events.msis);
        int arrived = RootPortConfig.SLTSTA_PDS | RootPortConfig.SLTSTA_PDC | RootPortConfig.SLTSTA_ABP;
        assertEquals(arrived, status(c) & arrived, "presence changed and the button pressed, as on QEMU");
        assertTrue((c.configRead(RootPortConfig.LNKSTA, 2) & RootPortConfig.LNKSTA_DLLLA) != 0,
                "the link is up with the device, whatever the power");
        c.configWrite(RootPortConfig.SLTSTA, 2, RootPortConfig.SLTSTA_PDC);
        assertEquals(1, events.msis.size(), "the button's event still pending: no second MSI");
        c.configWrite(RootPortConfig.SLTSTA, 2, RootPortConfig.SLTSTA_ABP);
        assertEquals(0, status(c) & (RootPortConfig.SLTSTA_PDC | RootPortConfig.SLTSTA_ABP), "write one to clear");
        assertTrue((status(c) & RootPortConfig.SLTSTA_PDS) != 0);
        c.presence(false);
        assertEquals(2, events.msis.size(), "the next event after clearing interrupts again");
    }

    @Test
    void noMsiWithoutHotPlugInterruptsOrWithMsiDisabled() {
        RootPortConfig c = port(false);
        enable(c, ALL_EVENTS & ~RootPortConfig.SLTCTL_HPIE);
        enableMsi(c);
        c.presence(true);
        assertEquals(List.of(), events.msis);
        RootPortConfig d = port(false);
        enable(d, ALL_EVENTS);
        d.presence(true);
        assertEquals(List.of(), events.msis, "MSI not enabled");
        assertTrue((status(d) & RootPortConfig.SLTSTA_PDC) != 0, "the event is still recorded");
    }

    @Test
    void everySlotControlWriteCompletesAndPowerAloneTakesNothingOut() {
        RootPortConfig c = port(false);
        c.presence(true);
        c.configWrite(RootPortConfig.SLTSTA, 2, status(c));
        assertEquals(0, status(c) & ~RootPortConfig.SLTSTA_PDS);
        enable(c, 0);
        assertTrue((status(c) & RootPortConfig.SLTSTA_CC) != 0);
        c.configWrite(RootPortConfig.SLTCTL, 2, control(c) & ~RootPortConfig.SLTCTL_PCC & ~RootPortConfig.SLTCTL_PIC
                | RootPortConfig.INDICATOR_ON << 8);
        c.configWrite(RootPortConfig.SLTCTL, 2, control(c) | RootPortConfig.SLTCTL_PCC);
        assertEquals(0, events.slotOffs, "off with the power indicator on: the device stays");
        assertTrue((status(c) & RootPortConfig.SLTSTA_PDS) != 0);
    }

    @Test
    void clearingEventsThatWereNotPendingClearsNone() {
        RootPortConfig c = port(false);
        c.presence(true);
        int pending = status(c) & (RootPortConfig.SLTSTA_PDC | RootPortConfig.SLTSTA_ABP);
        assertEquals(RootPortConfig.SLTSTA_PDC | RootPortConfig.SLTSTA_ABP, pending);
        c.configWrite(RootPortConfig.SLTSTA, 2, 0xffff);
        assertEquals(pending, status(c) & pending, "a clear-everything write would have lost an event");
        c.configWrite(RootPortConfig.SLTSTA, 2, pending);
        assertEquals(0, status(c) & pending);
    }

    @Test
    void turningTheOccupiedSlotOffAsPciehpDoesAsksForTheDeviceOnce() {
        RootPortConfig c = port(true);
        enableMsi(c);
        enable(c, ALL_EVENTS);
        assertTrue(c.pressAttentionButton());
        c.configWrite(RootPortConfig.SLTCTL, 2, control(c) & ~RootPortConfig.SLTCTL_PIC
                | RootPortConfig.INDICATOR_BLINK << 8);
        assertFalse(c.pressAttentionButton(), "a second press while the indicator blinks would cancel the unplug");
        c.configWrite(RootPortConfig.SLTCTL, 2, control(c) | RootPortConfig.SLTCTL_PCC);
        assertEquals(0, events.slotOffs, "powered off, but the power indicator still blinks");
        c.configWrite(RootPortConfig.SLTCTL, 2, control(c) | RootPortConfig.SLTCTL_PIC);
        assertEquals(1, events.slotOffs);
        assertEquals(RootPortConfig.SLTSTA_PDC, status(c) & (RootPortConfig.SLTSTA_PDS | RootPortConfig.SLTSTA_PDC),
                "the device is gone from the guest's view at once");
        assertEquals(0, c.configRead(RootPortConfig.LNKSTA, 2) & RootPortConfig.LNKSTA_DLLLA);
        c.configWrite(RootPortConfig.SLTCTL, 2, control(c));
        assertEquals(1, events.slotOffs, "only the change to off asks");
        RootPortConfig empty = port(false);
        empty.configWrite(RootPortConfig.SLTCTL, 2, control(empty) & ~RootPortConfig.SLTCTL_PCC);
        empty.configWrite(RootPortConfig.SLTCTL, 2, control(empty) | RootPortConfig.SLTCTL_PCC);
        assertEquals(1, events.slotOffs, "an empty slot has nothing to give back");
    }
}
