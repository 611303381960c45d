package org.vfio4j.pci;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.common.EventFd;
import org.vfio4j.common.RateLimitedLog;

/**
 * The guest-facing model of an assigned PCI device: what a machine plugs into its PCI host bridge.
 *
 * <p>Why it exists: it turns a host device ({@link PciHost}, VFIO underneath) into a device a guest
 * can own without owning the host. The guest's config accesses go through {@link #configRead} and
 * {@link #configWrite}, which virtualise BARs, ROM, interrupts and capabilities; in return the model
 * tells the machine, through three small seams, where to map BARs ({@link PciBarMapper}), how to
 * route interrupts (vfio-common's {@link org.vfio4j.common.IrqRouter} and {@link PciIntxWiring}) and what to
 * watch ({@link PciEventLoop}), bundled as a {@link PciMachine}. It owns no
 * threads; every entry point, including loop callbacks, is serialised on the device.
 * {@snippet :
 * try (var device = new AssignedPciDevice(host, PciOptions.parse("vfio-pci,host=0000:00:04.0"),
 *         machine)) {
 *     device.start();                       // reset, build the virtual config space, connect INTx
 *     int id = device.configRead(0, 4);      // vendor and device id, from the device
 *     device.configWrite(0x10, 4, 0xFFFFFFFF); // BAR sizing probe, answered by the model
 * }
 * }
 */
public final class AssignedPciDevice implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(AssignedPciDevice.class.getName());

    private final PciHost host;
    private final PciOptions options;
    private final PciBarMapper mapper;
    private final PciMachine machine;
    private final PciEventLoop loop;
    /** Everything the guest can make this device report goes through one budget. */
    private final RateLimitedLog warnings;
    private @Nullable Running running;
    /**
     * A guest-initiated reset did not bring the device back: until a later config access brings it back, it reads
     * all ones and drops writes.
     */
    private boolean lost;
    private boolean closed;

    /** Per-start state; rebuilt on every reset. */
    /**
     * @param flrByte the config offset of Device Control's high byte when the device advertises FLR, else -1
     * @param pmcsr   the config offset of the PM capability's control/status register, else -1
     */
    private record Running(ConfigSpace config, List<PciBar> bars, BarMappings mappings, Optional<RomBar> rom,
            @Nullable IntxInterrupt intx, @Nullable MsiCapability msi, @Nullable MsixCapability msix,
            List<Capability> capabilities, int flrByte, int pmcsr) {}

    /** Creates the model; nothing touches the device until {@link #start()}. */
    public AssignedPciDevice(PciHost host, PciOptions options, PciMachine machine) {
        this.host = host;
        this.options = options;
        this.mapper = new LockedMapper(machine.bars());
        this.loop = new LockedLoop(machine.loop());
        this.warnings = RateLimitedLog.standard(machine.warnings());
        this.machine = new PciMachine(mapper, machine.irqs(), machine.intx(), loop, warnings::report);
    }

    /** The options the device was created with. */
    public PciOptions options() {
        return options;
    }

    /**
     * Resets the device and builds the guest's view of it. Refuses bridges (assign the devices behind
     * them instead) with an {@link IllegalStateException}.
     */
    public synchronized void start() {
        checkOpen();
        if (running != null) {
            return;
        }
        resetDevice();
        int headerType = host.readConfig(StandardHeader.HEADER_TYPE, 1) & 0x7F;
        if (headerType != 0) {
            throw new IllegalStateException(host.name() + " has config header type " + headerType
                    + " (a bridge); vfio-pci assigns endpoints, so assign the devices behind the bridge instead");
        }
        running = build();
        Running r = running;
        int command = host.readConfig(StandardHeader.COMMAND, 2);
        host.writeConfig(StandardHeader.COMMAND, 2, command & ~(StandardHeader.CMD_IO | StandardHeader.CMD_MEMORY
                | StandardHeader.CMD_BUS_MASTER));
        IntxInterrupt intx = r.intx();
        if (intx != null) {
            intx.connect();
        }
    }

    private Running build() {
        List<PciBar> bars = PciBar.probe(host);
        ConfigSpace config = new ConfigSpace(host, new ConfigMasks(host.configSize()), warnings);
        int hostPin = host.readConfig(StandardHeader.INTERRUPT_PIN, 1);
        int pin = options.intx() && host.irqCount(PciIrqIndex.INTX) > 0 && hostPin >= 1 && hostPin <= 4 ? hostPin : 0;
        StandardHeader.define(config, pin);
        for (PciBar bar : bars) {
            bar.define(config.masks());
            bar.reset(config);
        }
        Optional<RomBar> rom = RomBar.probe(host, options.romBar());
        rom.ifPresentOrElse(b -> b.define(config), () -> RomBar.hide(config));
        List<Capability> caps = CapabilityList.walk(host, host.irqCount(PciIrqIndex.MSI) > 0,
                host.irqCount(PciIrqIndex.MSIX) > 0);
        CapabilityList.relink(config, caps);
        CapabilityList.defineBodies(config, caps);
        IntxInterrupt[] intx = new IntxInterrupt[1];
        BarMappings[] mappings = new BarMappings[1];
        if (pin != 0) {
            Duration timeout = options.intxMmapTimeout();
            intx[0] = new IntxInterrupt(host, machine, loop, pin, timeout, suspend -> {
                mappings[0].setMmapSuspended(suspend);
                mappings[0].update(config);
            });
        }
        InterruptOwner owner = new InterruptOwner(intx[0]);
        @Nullable MsiCapability msi = null;
        @Nullable MsixCapability msix = null;
        for (Capability c : caps) {
            if (c.kept() && !c.extended() && c.id() == MsiCapability.ID && msi == null) {
                msi = new MsiCapability(c.offset(), config, host, machine, owner);
                msi.define();
            } else if (c.kept() && !c.extended() && c.id() == MsixCapability.ID && msix == null) {
                msix = new MsixCapability(c.offset(), config, host, machine, owner);
                msix.define();
            }
        }
        MsixCapability table = msix;
        mappings[0] = new BarMappings(host, mapper, bars, options.noMmap(),
                i -> table == null ? List.of() : table.trappedRanges(i),
                i -> new BarTrap(i, host.hostRegion(i).orElseThrow(), table, intx[0], warnings), warnings);
        int pmcsr = caps.stream().filter(c -> c.kept() && !c.extended() && c.id() == CapabilityList.PM
                && c.length() >= 8).mapToInt(c -> c.offset() + 4).findFirst().orElse(-1);
        Running r = new Running(config, bars, mappings[0], rom, intx[0], msi, msix, caps, flrByte(caps), pmcsr);
        config.listenBefore(StandardHeader.COMMAND, 2, (off, size, value) -> {
            int now = config.read(StandardHeader.COMMAND, 2);
            int turnedOff = now & ~config.projected(StandardHeader.COMMAND, 2, off, size, value);
            if ((turnedOff & (StandardHeader.CMD_MEMORY | StandardHeader.CMD_IO)) != 0) {
                decode(r, now & ~turnedOff, r.mappings().powered());
            }
        });
        config.listen(StandardHeader.COMMAND, 2, (_, _) -> decode(r));
        config.listen(PciBar.BAR0, 24, (_, _) -> r.mappings().update(config));
        config.listen(RomBar.REGISTER, 4, (_, _) -> decode(r));
        if (pmcsr >= 0) {
            config.listenBefore(pmcsr, 2, (off, size, value) -> {
                if ((config.projected(pmcsr, 2, off, size, value) & 3) != 0 && r.mappings().powered()) {
                    decode(r, config.read(StandardHeader.COMMAND, 2), false);
                }
            });
            config.listen(pmcsr, 2, (_, _) -> decode(r, config.read(StandardHeader.COMMAND, 2),
                    (config.hostValue(pmcsr, 2) & 3) == 0));
        }
        return r;
    }

    private void decode(Running r) {
        decode(r, r.config().read(StandardHeader.COMMAND, 2), r.mappings().powered());
    }

    /** Brings BAR and ROM mappings in line with a command register value and power state (D0 or not). */
    private void decode(Running r, int command, boolean d0) {
        boolean memory = (command & StandardHeader.CMD_MEMORY) != 0;
        r.mappings().setDecoding(memory, (command & StandardHeader.CMD_IO) != 0);
        r.mappings().setPowered(d0);
        r.mappings().update(r.config());
        r.rom().ifPresent(rom -> rom.update(r.config(), mapper, memory && d0));
    }

    /** Guest config read of 1, 2 or 4 bytes; out-of-range accesses read as all ones. */
    public synchronized int configRead(int offset, int size) {
        if (lost && !revive()) {
            return size >= 4 ? -1 : (1 << (8 * size)) - 1;
        }
        Running r = running();
        return r.config().read(offset, size);
    }

    /**
     * Guest config write of 1, 2 or 4 bytes; host-owned bits are protected, out-of-range writes dropped. A write
     * of Initiate Function Level Reset (PCI Express Device Control bit 15) to a device that advertises FLR resets
     * it, as QEMU does: {@link #reset()}, so the device is reset through VFIO and the virtual config space
     * (BARs, command, MSI/MSI-X) starts again from its reset state, which the guest's PCI core then restores. So
     * does a PMCSR write taking a device without No_Soft_Reset from D3hot to D0 (the PCI PM spec's reset).
     */
    public synchronized void configWrite(int offset, int size, int value) {
        if (lost && !revive()) {
            return;
        }
        Running r = running();
        int pm = r.pmcsr();
        boolean pmWrite = pm >= 0 && pm < offset + size && offset < pm + 2;
        int before = pmWrite ? r.config().read(pm, 2) : 0;
        r.config().write(offset, size, value);
        int at = r.flrByte();
        if (at >= offset && at < offset + size && ((value >>> (8 * (at - offset))) & 0x80) != 0) {
            guestReset("the guest initiated a function level reset");
        } else if (pmWrite && (before & 3) == 3) {
            int after = r.config().read(pm, 2);
            if ((after & 3) == 0 && (after & PM_NO_SOFT_RESET) == 0) {
                guestReset("the guest moved it from D3hot to D0 and it has no No_Soft_Reset (a PM reset)");
            }
        }
    }

    /** No_Soft_Reset in PMCSR: set, a device keeps its state through D3hot; clear, D3hot to D0 resets it. */
    private static final int PM_NO_SOFT_RESET = 1 << 3;

    /**
     * A reset the guest asked for (FLR, or a PM reset): performed through VFIO with the virtual config space
     * started again from its reset state, as QEMU does; a device that does not come back reads all ones until it
     * does, and the VMM goes on.
     */
    private void guestReset(String why) {
        warnings.report(host.name() + ": " + why + "; resetting the device through VFIO");
        try {
            reset();
        } catch (RuntimeException e) {
            lost = true; // the guest's doing must not end the VMM: the device is gone for it instead
            warnings.report(host.name() + ": the device did not come back from the reset (" + e.getMessage()
                    + "); the guest now reads all ones from it");
        }
    }

    /** Tries again to start a device a guest reset left stopped; true once it runs (a failing device fails fast). */
    private boolean revive() {
        try {
            start();
            lost = false;
            warnings.report(host.name() + ": the device is back after the reset");
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Where Initiate FLR sits (Device Control's high byte), when the kept PCIe capability advertises FLR. */
    private int flrByte(List<Capability> caps) {
        for (Capability c : caps) {
            if (c.kept() && !c.extended() && c.id() == CapabilityList.EXP && c.length() >= 0x0C) {
                int devcap = host.readConfig(c.offset() + 4, 4); // Device Capabilities: bit 28, FLR capable
                return devcap != -1 && (devcap & (1 << 28)) != 0 ? c.offset() + 9 : -1;
            }
        }
        return -1;
    }

    /** The guest address BAR {@code index} is mapped at, or -1 while it does not decode. */
    public synchronized long barAddress(int index) {
        return running().mappings().mappedAddress(index);
    }

    /** The implemented BARs as the guest has them now, in index order. */
    public synchronized List<GuestBar> bars() {
        Running r = running();
        return r.bars().stream().map(b -> new GuestBar(b.index(), b.space(), b.is64(), b.prefetchable(), b.size(),
                r.mappings().mappedAddress(b.index()))).toList();
    }

    /** Whether BAR {@code index} currently has parts mapped straight to the device. */
    public synchronized boolean barDirect(int index) {
        return running().mappings().directlyMapped(index);
    }

    /** The guest address of the expansion ROM, or -1 while it is not enabled (or hidden). */
    public synchronized long romAddress() {
        return running().rom().map(RomBar::mappedAddress).orElse(-1L);
    }

    /** What the guest's capability walk finds and what it does not (for diagnostics). */
    public synchronized List<String> capabilities() {
        return running().capabilities().stream().map(Capability::toString).toList();
    }

    /** Guest-visible reset (machine reset): tears the device's state down and builds it again. */
    public synchronized void reset() {
        stop();
        start();
    }

    /** Disconnects interrupts, removes guest mappings and resets the device; {@link #start()} again to resume. */
    public synchronized void stop() {
        Running r = running;
        if (r == null) {
            return;
        }
        MsixCapability msix = r.msix();
        if (msix != null) {
            msix.shutdown();
        }
        MsiCapability msi = r.msi();
        if (msi != null) {
            msi.shutdown();
        }
        IntxInterrupt intx = r.intx();
        if (intx != null) {
            intx.disconnect();
        }
        r.mappings().close();
        r.rom().ifPresent(RomBar::unmap);
        running = null;
        resetDevice();
    }

    /** Resets through the host; a device without a reset method, or a failed reset, is logged, not fatal. */
    private void resetDevice() {
        try {
            if (!host.resetDevice()) {
                LOG.log(System.Logger.Level.INFO, "{0}: the kernel has no reset method for this device; going on as is",
                        host.name());
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: reset failed, going on without it: {1}", host.name(),
                    e.getMessage());
        }
    }

    /** Stops the device; the model refuses use afterwards. The host device is closed by its owner. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        stop();
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("vfio-pci device " + host.name() + " is closed; create a new one");
        }
    }

    private Running running() {
        checkOpen();
        Running r = running;
        if (r == null) {
            throw new IllegalStateException("vfio-pci device " + host.name() + " is not started; call start() first");
        }
        return r;
    }

    /**
     * Serialises trapped BAR/ROM accesses (called on the machine's vCPU threads) with config accesses
     * and loop callbacks; a trap arriving after stop reads as all ones and writes nothing.
     */
    private final class LockedMapper implements PciBarMapper {
        private final PciBarMapper mapper;

        LockedMapper(PciBarMapper mapper) {
            this.mapper = mapper;
        }

        @Override
        public Mapping mapDirect(long guestAddress, java.lang.foreign.MemorySegment memory) {
            return mapper.mapDirect(guestAddress, memory);
        }

        @Override
        public Mapping mapTrapped(BarSpace space, long guestAddress, long size, TrapHandler handler) {
            return mapper.mapTrapped(space, guestAddress, size, new TrapHandler() {
                @Override
                public long read(long offset, int width) {
                    synchronized (AssignedPciDevice.this) {
                        return running == null ? (width == 8 ? -1L : (1L << (8 * width)) - 1) : handler.read(offset, width);
                    }
                }

                @Override
                public void write(long offset, int width, long value) {
                    synchronized (AssignedPciDevice.this) {
                        if (running != null) {
                            handler.write(offset, width, value);
                        }
                    }
                }
            });
        }
    }

    /** Serialises loop callbacks with guest accesses, and drops those arriving after stop. */
    private final class LockedLoop implements PciEventLoop {
        private final PciEventLoop loop;

        LockedLoop(PciEventLoop loop) {
            this.loop = loop;
        }

        @Override
        public Registration watch(EventFd eventFd, Runnable handler) {
            return loop.watch(eventFd, () -> locked(handler));
        }

        @Override
        public Registration schedule(Duration delay, Runnable task) {
            return loop.schedule(delay, () -> locked(task));
        }

        private void locked(Runnable r) {
            synchronized (AssignedPciDevice.this) {
                if (running != null) {
                    r.run();
                }
            }
        }
    }
}
