package org.vfio4j.virt.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vfio4j.virt.device.Device;
import org.vfio4j.virt.device.DeviceException;
import org.vfio4j.virt.device.LiveDevice;
import org.vfio4j.virt.device.RunningGuest;

class StartedDevicesTest {
    private final List<String> log = new ArrayList<>();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    /** The devices under test never call the guest; any call fails the test. */
    private final RunningGuest guest = (RunningGuest) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {RunningGuest.class}, (p, m, a) -> {
                throw new AssertionError("unexpected call " + m.getName());
            });

    private LiveDevice live(String id, boolean fails, boolean closeFails) {
        return new LiveDevice() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public Started start(RunningGuest g) throws DeviceException {
                assertSame(guest, g);
                if (fails) {
                    throw new DeviceException(id + " cannot start");
                }
                log.add("start " + id);
                return () -> {
                    log.add("stop " + id);
                    if (closeFails) {
                        throw new IllegalStateException(id + " stuck");
                    }
                };
            }
        };
    }

    @Test
    void liveDevicesStartInOrderStopInReverseAndOthersAreSkipped() throws Exception {
        Device plain = () -> "plain";
        try (StartedDevices s = StartedDevices.start(List.of(live("a", false, false), plain, live("b", false, false)),
                guest, err)) {
            assertEquals(2, s.size());
        }
        assertEquals(List.of("start a", "start b", "stop b", "stop a"), log);
    }

    @Test
    void aFailingDeviceReleasesThoseStartedBeforeItAndTheErrorPropagates() {
        DeviceException e = assertThrows(DeviceException.class, () -> StartedDevices.start(
                List.of(live("a", false, false), live("b", false, false), live("c", true, false)), guest, err));
        assertEquals("c cannot start", e.getMessage());
        assertEquals(List.of("start a", "start b", "stop b", "stop a"), log);
    }

    @Test
    void aDeviceThatFailsToStopIsReportedAndTheOthersAreStillStopped() throws Exception {
        StartedDevices.start(List.of(live("a", false, false), live("b", false, true)), guest, err).close();
        assertEquals(List.of("start a", "start b", "stop b", "stop a"), log);
        assertEquals("virt: releasing a device failed: b stuck", errBytes.toString(StandardCharsets.UTF_8).trim());
    }
}
