package org.vfio4j.common.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.GuestInterrupt;
import org.vfio4j.common.IrqRoute;
import org.vfio4j.common.IrqRouter;
import org.vfio4j.common.IrqWiring;
import org.vfio4j.common.PlainVfioDevice;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.VfioGroup;
import org.vfio4j.common.VfioIrq;
import org.vfio4j.common.VfioRegion;
import org.vfio4j.common.sys.VfioAbi;
import org.vfio4j.lab.LabDevice;
import org.vfio4j.lab.LabHost;
import org.vfio4j.lab.LabTest;

/** edu interrupts through VFIO eventfds: MSI on the raise register; INTx automasked until unmasked. */
@LabTest
class EduIrqLabTest {
    private static final Duration FIRES = Duration.ofSeconds(10);
    /** How long to wait to be convinced an interrupt does NOT come (the lab runs under TCG). */
    private static final Duration QUIET = Duration.ofSeconds(2);

    @Test
    void msiEventfdFiresOnTheRaiseRegister(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                PlainVfioDevice dev = g.openDevice(LabDevice.EDU.bdf())) {
            VfioIrq msi = dev.irq(VfioAbi.VFIO_PCI_MSI_IRQ_INDEX);
            assertEquals(1, msi.count(), "edu has one MSI vector");
            assertTrue(msi.info().eventfd());
            // An MSI is a memory write by the device: without bus mastering QEMU drops it (so does real hardware).
            VfioRegion config = dev.region(VfioAbi.VFIO_PCI_CONFIG_REGION_INDEX);
            config.write16(Edu.PCI_COMMAND, config.read16(Edu.PCI_COMMAND) | Edu.PCI_COMMAND_MEMORY
                    | Edu.PCI_COMMAND_MASTER);
            EventFd fired = msi.enable(0);
            VfioRegion bar0 = dev.region(VfioAbi.VFIO_PCI_BAR0_REGION_INDEX);
            assertFalse(fired.await(Duration.ZERO), "nothing raised yet");
            bar0.write32(Edu.IRQ_RAISE, 0x1);
            assertEquals(1, fired.awaitAndRead(FIRES), "one MSI for one raise");
            assertEquals(1, bar0.read32(Edu.IRQ_STATUS));
            bar0.write32(Edu.IRQ_ACK, 0x1);
            bar0.write32(Edu.IRQ_RAISE, 0x2);
            assertEquals(1, fired.awaitAndRead(FIRES), "and another for the next");
            bar0.write32(Edu.IRQ_ACK, 0x2);
            msi.disable();
            assertNull(msi.trigger(0));
            assertThrows(IllegalStateException.class, fired::read, "the IRQ closed the eventfd it owned");
        }
    }

    @Test
    void intxFiresAndStaysMaskedUntilUnmasked(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                PlainVfioDevice dev = g.openDevice(LabDevice.EDU.bdf())) {
            VfioIrq intx = dev.irq(VfioAbi.VFIO_PCI_INTX_IRQ_INDEX);
            assertTrue(intx.info().automasked() && intx.info().maskable(), "INTx is a level, automasked line");
            VfioRegion bar0 = dev.region(VfioAbi.VFIO_PCI_BAR0_REGION_INDEX);
            VfioRegion config = dev.region(VfioAbi.VFIO_PCI_CONFIG_REGION_INDEX);
            config.write16(Edu.PCI_COMMAND, config.read16(Edu.PCI_COMMAND) | Edu.PCI_COMMAND_MEMORY);
            EventFd fired = intx.enable(0);

            bar0.write32(Edu.IRQ_RAISE, 0x1);
            assertEquals(1, fired.awaitAndRead(FIRES), "INTx asserted once");
            // Lower and raise the line again: VFIO masked it when it fired, so nothing may arrive.
            bar0.write32(Edu.IRQ_ACK, 0x1);
            bar0.write32(Edu.IRQ_RAISE, 0x1);
            assertFalse(fired.await(QUIET), "still masked: no second interrupt before unmask");
            // Unmasking with the line still asserted delivers it at once.
            intx.unmask(0);
            assertEquals(1, fired.awaitAndRead(FIRES), "unmask re-arms the line");
            bar0.write32(Edu.IRQ_ACK, 0x1);
            intx.unmask(0);

            // Resampling: an unmask eventfd (what KVM signals on EOI) re-arms the line in the kernel.
            try (EventFd resample = EventFd.create()) {
                intx.unmaskOn(0, resample);
                bar0.write32(Edu.IRQ_RAISE, 0x1);
                assertEquals(1, fired.awaitAndRead(FIRES));
                bar0.write32(Edu.IRQ_ACK, 0x1);
                bar0.write32(Edu.IRQ_RAISE, 0x1);
                assertFalse(fired.await(QUIET), "masked again after firing");
                resample.signal();
                assertEquals(1, fired.awaitAndRead(FIRES), "signalling the unmask eventfd unmasked it");
                bar0.write32(Edu.IRQ_ACK, 0x1);
                intx.clearUnmaskOn(0);
            }
            intx.disable();
        }
    }

    /** A stand-in machine for the irqfd seam: records what it was asked to route; the test plays the guest. */
    static final class RecordingMachine implements IrqRouter {
        final boolean resample;
        @Nullable EventFd trigger;
        @Nullable EventFd resampleFd;
        @Nullable GuestInterrupt target;
        boolean closed;

        RecordingMachine(boolean resample) {
            this.resample = resample;
        }

        private IrqRoute route(GuestInterrupt t) {
            target = t;
            return new IrqRoute() {
                @Override
                public GuestInterrupt target() {
                    return java.util.Objects.requireNonNull(target);
                }

                @Override
                public void retarget(GuestInterrupt next) {
                    target = next;
                }

                @Override
                public void suspend() {
                    throw new AssertionError("the edu test never masks a vector");
                }

                @Override
                public void resume() {
                    throw new AssertionError("the edu test never masks a vector");
                }

                @Override
                public void close() {
                    closed = true;
                }
            };
        }

        @Override
        public IrqRoute routeEdge(GuestInterrupt t, EventFd trig) {
            trigger = trig;
            return route(t);
        }

        @Override
        public IrqRoute routeLevel(GuestInterrupt.Line t, EventFd trig, EventFd res) {
            trigger = trig;
            resampleFd = res;
            return route(t);
        }

        @Override
        public boolean supportsResample() {
            return resample;
        }
    }

    @Test
    void irqfdSeamLevelIntxIsReArmedByTheGuestsEoiAndMsiIsEdge(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                PlainVfioDevice dev = g.openDevice(LabDevice.EDU.bdf())) {
            VfioRegion bar0 = dev.region(VfioAbi.VFIO_PCI_BAR0_REGION_INDEX);
            VfioIrq intx = dev.irq(VfioAbi.VFIO_PCI_INTX_IRQ_INDEX);
            VfioException refused = assertThrows(VfioException.class,
                    () -> IrqWiring.connect(intx, 0, new GuestInterrupt.Line(35), new RecordingMachine(false)));
            assertTrue(refused.getMessage().contains("cannot resample"), refused.getMessage());

            RecordingMachine machine = new RecordingMachine(true);
            try (IrqRoute route = IrqWiring.connect(intx, 0, new GuestInterrupt.Line(35), machine)) {
                EventFd trigger = java.util.Objects.requireNonNull(machine.trigger);
                EventFd eoi = java.util.Objects.requireNonNull(machine.resampleFd);
                assertEquals(new GuestInterrupt.Line(35), route.target());
                bar0.write32(Edu.IRQ_RAISE, 1);
                assertEquals(1, trigger.awaitAndRead(FIRES), "the line reached the machine");
                bar0.write32(Edu.IRQ_ACK, 1);   // the guest's handler acks the device...
                bar0.write32(Edu.IRQ_RAISE, 1); // ...which interrupts again before EOI
                assertFalse(trigger.await(QUIET), "no second interrupt before the guest's EOI");
                eoi.signal();                   // the machine's EOI: KVM would signal the resamplefd
                assertEquals(1, trigger.awaitAndRead(FIRES), "EOI re-armed the line in the kernel, no unmask call");
                bar0.write32(Edu.IRQ_ACK, 1);
            }
            assertTrue(machine.closed);
            assertNull(intx.trigger(0), "closing the route disabled the vector");

            VfioRegion config = dev.region(VfioAbi.VFIO_PCI_CONFIG_REGION_INDEX);
            config.write16(Edu.PCI_COMMAND, config.read16(Edu.PCI_COMMAND) | Edu.PCI_COMMAND_MASTER);
            RecordingMachine msiMachine = new RecordingMachine(true);
            VfioIrq msi = dev.irq(VfioAbi.VFIO_PCI_MSI_IRQ_INDEX);
            try (IrqRoute route = IrqWiring.connect(msi, 0, new GuestInterrupt.Msi(0xfee0_0000L, 0x4021), msiMachine)) {
                assertNull(msiMachine.resampleFd, "MSI is edge: no resample");
                bar0.write32(Edu.IRQ_RAISE, 2);
                assertEquals(1, java.util.Objects.requireNonNull(msiMachine.trigger).awaitAndRead(FIRES));
                route.retarget(new GuestInterrupt.Msi(0xfee0_1000L, 0x4022));
                assertEquals(new GuestInterrupt.Msi(0xfee0_1000L, 0x4022), msiMachine.target);
                bar0.write32(Edu.IRQ_ACK, 2);
            }
        }
    }

    @Test
    void softwareTriggerAndIncrementalEnableKeepLiveVectors(LabHost host) {
        int group = Integer.parseInt(host.bindToVfio(LabDevice.EDU));
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                PlainVfioDevice dev = g.openDevice(LabDevice.EDU.bdf())) {
            VfioIrq msi = dev.irq(VfioAbi.VFIO_PCI_MSI_IRQ_INDEX);
            EventFd first = msi.enable(0);
            assertEquals(first, msi.enable(0), "enabling a live vector keeps its eventfd");
            msi.fire(0);
            assertEquals(1, first.awaitAndRead(FIRES), "VFIO_IRQ_SET_ACTION_TRIGGER loops back to the eventfd");
            try (EventFd mine = EventFd.create()) {
                msi.enable(0, mine); // caller-owned replacement (what a machine does with an irqfd)
                assertTrue(first.isClosed(), "the replaced, owned eventfd was closed");
                msi.fire(0);
                assertEquals(1, mine.awaitAndRead(FIRES));
                msi.disable();
                mine.signal(); // still ours, still open
                assertEquals(1, mine.read());
            }
            assertThrows(IndexOutOfBoundsException.class, () -> msi.enable(1));
            assertThrows(IllegalStateException.class, () -> msi.mask(0), "MSI is not maskable through VFIO");
        }
    }
}
