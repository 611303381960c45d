package org.vfio4j.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Which classes the first @LabTest class takes into its lab host (no lab needed). */
class LabBatchTest {
    @Test
    void batchHoldsTopLevelLabTestClassesOnly() {
        assertEquals(List.of(LabDeviceResetLabTest.class.getName(), LabHostLabTest.class.getName()),
                LabBatch.discover(LabHostLabTest.class));
    }
}
