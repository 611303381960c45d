package org.vfio4j.virt.run;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import org.vfio4j.virt.device.Device;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.LiveDevice;
import org.vfio4j.virt.device.RunningGuest;

/**
 * The machine's {@link LiveDevice}s, started in {@code -device} order and stopped in reverse.
 *
 * <p>Why one owner: when the third device fails to start, the first two must be released before the VMM
 * exits (their groups reusable at once), and a failure while stopping one device must not keep the others
 * holding their host devices; a stop failure is reported, not thrown.
 */
final class StartedDevices implements AutoCloseable {
    private final List<LiveDevice.Started> started = new ArrayList<>();
    private final PrintStream err;

    private StartedDevices(PrintStream err) {
        this.err = err;
    }

    /** Starts every live device in {@code devices}; on failure, stops those already started and rethrows. */
    static StartedDevices start(List<Device> devices, RunningGuest guest, PrintStream err) throws DeviceException {
        StartedDevices s = new StartedDevices(err);
        try {
            for (Device d : devices) {
                if (d instanceof LiveDevice live) {
                    s.started.add(live.start(guest));
                }
            }
            return s;
        } catch (DeviceException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** How many devices are live. */
    int size() {
        return started.size();
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (RuntimeException e) {
                err.println("virt: releasing a device failed: " + e.getMessage());
            }
        }
        started.clear();
    }
}
