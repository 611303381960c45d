package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** What {@link LabExtension} refuses before it boots anything (no lab needed). */
class LabExtensionTest {
    /** Run only through {@link EngineTestKit}: an aarch64 class that forgot its tag. */
    @LabTest(arch = LabArch.AARCH64)
    static class UntaggedArm64Fixture {
        @Test
        void neverRuns() {
            throw new AssertionError("ran although its class is refused");
        }
    }

    @Test
    void anAarch64ClassWithoutItsTagIsRefusedWithTheTagToAdd() {
        Events containers = EngineTestKit.engine("junit-jupiter").selectors(selectClass(UntaggedArm64Fixture.class))
                .execute().containerEvents();
        assertEquals(1, containers.failed().count());
        Throwable t = containers.failed().list().get(0).getPayload(TestExecutionResult.class)
                .flatMap(TestExecutionResult::getThrowable).orElseThrow();
        assertTrue(t instanceof ExtensionConfigurationException, t.toString());
        assertTrue(t.getMessage().contains(UntaggedArm64Fixture.class.getName()) && t.getMessage().contains(
                "add @Tag(\"aarch64\")"), t.getMessage());
        assertEquals(0, ProcessHandle.current().descendants().count(), "a lab host was started");
    }
}
