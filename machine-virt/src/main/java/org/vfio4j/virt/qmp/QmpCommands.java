package org.vfio4j.virt.qmp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.pci.BarSpace;
import org.vfio4j.pci.GuestBar;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.pci.PciFunction;
import org.vfio4j.virt.pci.PciHotplug;
import org.vfio4j.virt.pci.PciRootBus;
import org.vfio4j.virt.pci.PcieRootPort;
import org.vfio4j.virt.run.RunControl;
import org.vfio4j.virt.run.RunOutcome;

/**
 * The commands QMP clients may execute, with QEMU's names, arguments and reply shapes.
 *
 * <p>Why a table with declared parameters: QEMU rejects an argument a command does not take
 * ({@code Parameter 'x' is unexpected}) and one it lacks, before the command runs; clients rely on that to
 * detect what a server supports, so every command here declares its parameters and the table checks them.
 * {@code query-commands} lists exactly this table.
 */
final class QmpCommands {
    /** The QEMU release whose QMP replies these follow; {@code query-version} and the greeting give it. */
    static final int QEMU_MAJOR = 10, QEMU_MINOR = 0, QEMU_MICRO = 0;

    /** What a command returns, and what to do once the reply is on its way ({@code quit} ends the run then). */
    record Result(Object value, @Nullable Runnable then) {
        static Result of(Object value) {
            return new Result(value, null);
        }
    }

    @FunctionalInterface
    interface Handler {
        Result handle(Map<String, Object> args, QmpFds fds) throws QmpError, InterruptedException;
    }

    /** {@code params} null: any argument is taken (QEMU's {@code device_add} passes the rest to the device). */
    private record Command(@Nullable Set<String> params, Set<String> required, Handler handler) {
    }

    private final Map<String, Command> table = new LinkedHashMap<>();
    private final RunControl control;
    private volatile @Nullable PciRootBus pci;
    private volatile @Nullable PciHotplug hotplug;

    QmpCommands(RunControl control, @Nullable String name) {
        this.control = control;
        add("qmp_capabilities", Set.of("enable"), Set.of(), (args, fds) -> Result.of(Map.of()));
        add("query-commands", Set.of(), Set.of(), (args, fds) -> Result.of(commandList()));
        add("query-version", Set.of(), Set.of(), (args, fds) -> Result.of(version()));
        add("query-status", Set.of(), Set.of(), (args, fds) -> Result.of(status()));
        add("query-pci", Set.of(), Set.of(), (args, fds) -> Result.of(List.of(pciBus())));
        add("query-name", Set.of(), Set.of(), (args, fds) -> Result.of(name == null ? Map.of() : Map.of("name", name)));
        add("stop", Set.of(), Set.of(), (args, fds) -> {
            control.pause();
            return Result.of(Map.of());
        });
        add("cont", Set.of(), Set.of(), (args, fds) -> {
            if (control.status() == RunControl.Status.SHUTDOWN) {
                throw QmpError.generic("The machine has shut down; it cannot be continued");
            }
            control.resume();
            return Result.of(Map.of());
        });
        add("system_reset", Set.of(), Set.of(), (args, fds) -> {
            if (control.status() == RunControl.Status.SHUTDOWN) {
                throw QmpError.generic("The machine has shut down; it cannot be reset");
            }
            return new Result(Map.of(), () -> control.finish(RunOutcome.systemReset()));
        });
        add("system_powerdown", Set.of(), Set.of(), (args, fds) -> {
            if (control.status() == RunControl.Status.SHUTDOWN) {
                throw QmpError.generic("The machine has shut down; it has no power button to press");
            }
            return new Result(Map.of(), control::powerdown);
        });
        add("quit", Set.of(), Set.of(), (args, fds) -> new Result(Map.of(), () -> control.finish(RunOutcome.quit())));
        add("device_add", null, Set.of("driver"), this::deviceAdd);
        add("device_del", Set.of("id"), Set.of("id"), (args, fds) -> deviceDel(args));
        add("getfd", Set.of("fdname"), Set.of("fdname"), (args, fds) -> {
            fds.name(string(args, "fdname"));
            return Result.of(Map.of());
        });
        add("closefd", Set.of("fdname"), Set.of("fdname"), (args, fds) -> {
            fds.close(string(args, "fdname"));
            return Result.of(Map.of());
        });
    }

    private static String string(Map<String, Object> args, String name) throws QmpError {
        if (!(args.get(name) instanceof String s)) {
            throw QmpError.generic("Invalid parameter type for '" + name + "', expected: string");
        }
        return s;
    }

    /**
     * {@code device_add}: the arguments are the device's properties, as {@code -device} takes them. An {@code fd}
     * that is a name is the descriptor this client named with {@code getfd}, which the device then owns (a number is
     * a descriptor the VMM already has, one it inherited).
     */
    private Result deviceAdd(Map<String, Object> args, QmpFds fds) throws QmpError {
        PciHotplug h = hotplug;
        if (h == null) {
            throw QmpError.generic("The machine is not assembled yet; add the device once it is");
        }
        if (!(args.get("driver") instanceof String driver)) {
            throw QmpError.generic("Invalid parameter type for 'driver', expected: string");
        }
        Map<String, String> props = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : args.entrySet()) {
            Object v = e.getValue();
            if (e.getKey().equals("driver")) {
                continue;
            }
            if (v instanceof Map || v instanceof List || v == null) {
                throw QmpError.generic("Invalid parameter type for '" + e.getKey() + "', expected: a string, "
                        + "number or boolean");
            }
            props.put(e.getKey(), v instanceof Boolean b ? (b ? "on" : "off") : v.toString());
        }
        String fdName = props.get("fd");
        Integer taken = null;
        if (fdName != null && !fdName.isEmpty() && !Character.isDigit(fdName.charAt(0))) {
            taken = fds.take(fdName);
            if (taken == null) {
                throw QmpError.generic("File descriptor named '" + fdName + "' has not been found");
            }
            props.put("fd", Integer.toString(taken));
        }
        try {
            h.add(driver, props);
        } catch (DeviceException e) {
            if (taken != null) {
                org.vfio4j.common.sys.Native.close(taken);   // the device never came; its descriptor goes with it
            }
            throw QmpError.generic(e.getMessage());
        }
        return Result.of(Map.of());
    }

    /** {@code device_del}: returns at once; {@code DEVICE_DELETED} follows once the guest has let go. */
    private Result deviceDel(Map<String, Object> args) throws QmpError {
        PciHotplug h = hotplug;
        if (!(args.get("id") instanceof String id)) {
            throw QmpError.generic("Invalid parameter type for 'id', expected: string");
        }
        if (h == null) {
            throw QmpError.deviceNotFound("Device '" + id + "' not found");
        }
        try {
            h.delete(id);
        } catch (PciHotplug.NotFound e) {
            throw QmpError.deviceNotFound(e.getMessage());
        } catch (DeviceException e) {
            throw QmpError.generic(e.getMessage());
        }
        return Result.of(Map.of());
    }

    private void add(String name, @Nullable Set<String> params, Set<String> required, Handler handler) {
        table.put(name, new Command(params, required, handler));
    }

    /** The machine's PCIe root bus, once it is built: {@code query-pci} lists no device before. */
    void pciBus(PciRootBus bus) {
        this.pci = bus;
    }

    /** The machine's hot-plug, once it is built: {@code device_add} and {@code device_del} fail before. */
    void hotplug(PciHotplug h) {
        this.hotplug = h;
    }

    /** Whether {@code name} is a command here. */
    boolean has(String name) {
        return table.containsKey(name);
    }

    /** Runs {@code name} with {@code args}, after checking the arguments against its declaration. */
    Result execute(String name, Map<String, Object> args, QmpFds fds) throws QmpError, InterruptedException {
        Command c = table.get(name);
        if (c == null) {
            throw QmpError.commandNotFound("The command " + name + " has not been found");
        }
        Set<String> params = c.params();
        for (String key : args.keySet()) {
            if (params != null && !params.contains(key)) {
                throw QmpError.generic("Parameter '" + key + "' is unexpected");
            }
        }
        for (String key : c.required()) {
            if (!args.containsKey(key)) {
                throw QmpError.generic("Parameter '" + key + "' is missing");
            }
        }
        return c.handler().handle(args, fds);
    }

    /** The greeting's and {@code query-version}'s {@code version} member. */
    static Map<String, Object> version() {
        Map<String, Object> qemu = new LinkedHashMap<>();
        qemu.put("micro", QEMU_MICRO);
        qemu.put("minor", QEMU_MINOR);
        qemu.put("major", QEMU_MAJOR);
        String build = QmpCommands.class.getPackage().getImplementationVersion();
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("qemu", qemu);
        v.put("package", "vfio4j machine-virt " + (build != null ? build : "(development build)"));
        return v;
    }

    private Map<String, Object> status() {
        RunControl.Status s = control.status();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", s == RunControl.Status.RUNNING);
        m.put("status", s.qmpName());
        return m;
    }

    /**
     * Bus 0 in QEMU's {@code PciInfo} shape, read from the guest's view of each function's config space (what a
     * guest's lspci would show), so the reply cannot disagree with the guest. No host bridge is listed at 00:00.0:
     * machine-virt has none there (see {@code PciRootBus}).
     */
    private Map<String, Object> pciBus() {
        List<Map<String, Object>> devices = new ArrayList<>();
        PciRootBus bus = pci;
        if (bus != null) {
            for (PciRootBus.Present p : bus.present()) {
                devices.add(pciDevice(p));
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bus", 0);
        m.put("devices", devices);
        return m;
    }

    private static Map<String, Object> pciDevice(PciRootBus.Present p) {
        Map<String, Object> d = pciDevice(0, p.slot(), p.fn(), p.id(), p.function());
        PcieRootPort port = p.port();
        PcieRootPort.Bridge b = port == null ? null : port.bridge();
        if (b != null) {
            Map<String, Object> bus = new LinkedHashMap<>();
            bus.put("number", b.secondary());
            bus.put("secondary", b.secondary());
            bus.put("subordinate", b.subordinate());
            bus.put("io_range", range(b.io()));
            bus.put("memory_range", range(b.memory()));
            bus.put("prefetchable_range", range(b.prefetchable()));
            List<Map<String, Object>> behind = new ArrayList<>();
            PciFunction child = b.child();
            if (child != null) {
                String childId = b.childId();
                behind.add(pciDevice(b.secondary(), 0, 0, childId == null ? "" : childId, child));
            }
            Map<String, Object> bridge = new LinkedHashMap<>();
            bridge.put("bus", bus);
            bridge.put("devices", behind);
            d.put("pci_bridge", bridge);
        }
        return d;
    }

    private static Map<String, Object> range(long[] baseLimit) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("base", baseLimit[0]);
        r.put("limit", baseLimit[1]);
        return r;
    }

    private static Map<String, Object> pciDevice(int busNumber, int slot, int fn, String qdevId, PciFunction f) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("bus", busNumber);
        d.put("slot", slot);
        d.put("function", fn);
        d.put("class_info", Map.of("class", f.configRead(0x0a, 2) & 0xffff));
        Map<String, Object> id = new LinkedHashMap<>();
        id.put("device", f.configRead(0x02, 2) & 0xffff);
        id.put("vendor", f.configRead(0x00, 2) & 0xffff);
        id.put("subsystem", f.configRead(0x2e, 2) & 0xffff);
        id.put("subsystem-vendor", f.configRead(0x2c, 2) & 0xffff);
        d.put("id", id);
        int pin = f.configRead(0x3d, 1) & 0xff;
        if (pin != 0) {
            d.put("irq", f.configRead(0x3c, 1) & 0xff);
        }
        d.put("irq_pin", pin);
        d.put("qdev_id", qdevId);
        List<Map<String, Object>> regions = new ArrayList<>();
        List<GuestBar> bars;
        try {
            bars = f.bars();
        } catch (IllegalStateException e) {
            bars = List.of();   // the device is being reset or released right now
        }
        for (GuestBar b : bars) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("bar", b.index());
            r.put("type", b.space() == BarSpace.IO ? "io" : "memory");
            r.put("address", unsigned(b.address()));
            r.put("size", b.size());
            if (b.space() != BarSpace.IO) {
                r.put("prefetch", b.prefetchable());
                r.put("mem_type_64", b.is64());
            }
            regions.add(r);
        }
        d.put("regions", regions);
        return d;
    }

    /** A 64-bit address as QEMU prints its uint64: -1 (not decoding) is 18446744073709551615. */
    private static Object unsigned(long v) {
        return v >= 0 ? (Object) v : new java.math.BigInteger(Long.toUnsignedString(v));
    }

    private List<Map<String, Object>> commandList() {
        List<Map<String, Object>> list = new ArrayList<>();
        for (String name : table.keySet()) {
            list.add(Map.of("name", name));
        }
        return list;
    }
}
