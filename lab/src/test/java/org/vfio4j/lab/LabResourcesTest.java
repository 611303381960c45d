package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Both lab hosts' init scripts get the shared prelude once, before they use what it defines. */
class LabResourcesTest {
    @Test
    void eachInitScriptDefinesTheHelpersBeforeItCallsThem() {
        for (String name : new String[] {"init.sh", "aarch64/init.sh"}) {
            String s = LabResources.initScript(name);
            assertFalse(s.contains(LabResources.PRELUDE), name);
            int defined = s.indexOf("find_out_port() {");
            assertTrue(defined > 0, name + " lacks the prelude");
            assertEquals(defined, s.lastIndexOf("find_out_port() {"), name + " has the prelude twice");
            assertTrue(s.indexOf("\nfind_out_port\n") > defined, name + " must call find_out_port after the prelude");
            assertTrue(s.startsWith("#!/bin/busybox sh\n"), name);
        }
    }

    @Test
    void aScriptWithoutThePreludeLineIsRefused() {
        LabException e = assertThrows(LabException.class, () -> LabResources.initScript("aarch64/fetch-root.sh"));
        assertTrue(e.getMessage().contains("@PRELUDE@"), e.getMessage());
    }
}
