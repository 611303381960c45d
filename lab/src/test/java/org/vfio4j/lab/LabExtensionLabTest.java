package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Arrays;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;
import org.opentest4j.AssertionFailedError;

/**
 * The {@link LabTest} mechanism itself, driven through the real JUnit engine on the build host:
 * a fixture class boots a lab host, and its passing, failing and aborted tests must come back as
 * such, with the in-lab assertion's message and what the failing test printed.
 */
@Tag("lab")
class LabExtensionLabTest {
    /** Run only through {@link EngineTestKit} (Surefire skips nested classes). */
    @LabTest
    static class Fixture {
        @Test
        void passesOnlyInTheLab(LabHost host) {
            assertTrue(Lab.inLab(), "not in the lab host");
            assertEquals("0", host.sh("exit 0").status() + "");
        }

        @Test
        void failsInTheLab() {
            System.out.println("printed in the lab by failsInTheLab");
            assertEquals("vfio-pci", "nvme", "in-lab assertion fails on purpose");
        }

        @Test
        void abortsInTheLab() {
            assumeTrue(false, "in-lab assumption fails on purpose");
        }
    }

    /** Run only through {@link EngineTestKit}: crashes the lab host's kernel mid-class. */
    @LabTest
    static class CrashFixture {
        @Test
        void crashesTheLabHost(LabHost host) {
            host.sh("echo c > /proc/sysrq-trigger");
        }
    }

    @Test
    void aCrashedLabHostFailsTheClassClearlyAndLeavesNoQemu() {
        Events containers = EngineTestKit.engine("junit-jupiter").selectors(selectClass(CrashFixture.class)).execute()
                .containerEvents();
        assertEquals(1, containers.failed().count(), () -> describe(containers));
        Throwable t = containers.failed().list().get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElseThrow();
        assertTrue(t instanceof LabException, t.toString());
        assertTrue(t.getMessage().contains("powered off before"), t.getMessage());
        assertTrue(t.getMessage().contains("sysrq"), "the kernel console tail is missing: " + t.getMessage());
        assertEquals(0, ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count(),
                "a child process survived the crash");
    }

    @Test
    void inLabOutcomesAreReportedOnTheBuildHost() {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(Fixture.class)).execute()
                .testEvents();
        assertEquals(1, tests.succeeded().count(), () -> describe(tests));
        assertEquals("passesOnlyInTheLab(LabHost)", name(tests.succeeded().list().get(0)));
        assertEquals(1, tests.aborted().count(), () -> describe(tests));
        Throwable abort = tests.aborted().list().get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElseThrow();
        assertTrue(abort.getMessage().contains("in-lab assumption fails on purpose"), abort.getMessage());

        assertEquals(1, tests.failed().count(), () -> describe(tests));
        Event failed = tests.failed().list().get(0);
        assertEquals("failsInTheLab()", name(failed));
        Throwable t = failed.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElseThrow();
        assertTrue(t instanceof AssertionFailedError, "not the in-lab exception: " + t);
        assertTrue(t.getMessage().contains("in-lab assertion fails on purpose"), t.getMessage());
        assertEquals("vfio-pci", ((AssertionFailedError) t).getExpected().getStringRepresentation());
        assertTrue(Arrays.stream(t.getSuppressed()).anyMatch(s -> s.getMessage().contains("printed in the lab by failsInTheLab")),
                "the in-lab output is not attached: " + Arrays.toString(t.getSuppressed()));
    }

    private static String name(Event e) {
        return e.getTestDescriptor().getDisplayName();
    }

    private static String describe(Events events) {
        StringBuilder b = new StringBuilder();
        events.stream().forEach(e -> b.append(e).append('\n'));
        return b.toString();
    }
}
