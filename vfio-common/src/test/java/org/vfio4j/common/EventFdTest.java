package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** eventfd counting and waiting with poll (no sleeps). */
class EventFdTest {
    @Test
    void signalsCountAndReset() {
        try (EventFd e = EventFd.create()) {
            assertFalse(e.await(Duration.ofMillis(10)), "nothing signalled yet");
            assertEquals(0, e.read());
            e.signal();
            e.signal();
            assertTrue(e.await(Duration.ZERO));
            assertEquals(2, e.read());
            assertEquals(0, e.awaitAndRead(Duration.ofMillis(5)));
        }
    }

    @Test
    void wakesAWaiterOnAnotherThread() throws Exception {
        try (EventFd e = EventFd.create()) {
            Thread t = Thread.ofPlatform().start(e::signal);
            assertEquals(1, e.awaitAndRead(Duration.ofSeconds(10)));
            t.join();
        }
    }

    @Test
    void closedRefusesUse() {
        EventFd e = EventFd.create();
        e.close();
        e.close();
        IllegalStateException ex = assertThrows(IllegalStateException.class, e::signal);
        assertTrue(ex.getMessage().contains("closed"));
    }
}
