package org.vfio4j.virt.device;

import java.util.List;

/**
 * What a sysbus device needs from the machine's platform bus: guest MMIO space for its regions and
 * SPIs for its interrupts ({@code vfio-platform} asks for one region per host MMIO region and one SPI
 * per host IRQ).
 *
 * <p>Why an interface of one method: the consumer-side seam; the machine's implementation also
 * reports and places nodes, which no device needs to see. Mapping a region into the running guest and
 * routing an IRQ eventfd are run-time services with their own small interfaces ({@link RunningGuest}).
 */
public interface PlatformBus {

    /**
     * Reserves space for one device, deterministically (first fit in request order).
     *
     * @param deviceId    for reports and error messages
     * @param regionSizes bytes per MMIO region, in the order the device's {@code reg} lists them;
     *                    each is rounded up to the 64 KiB granule so it can be a memory slot on
     *                    64 KiB-page hosts
     * @param irqCount    SPIs needed
     * @throws DeviceException when the window or the SPI range is full, saying how much is left
     */
    PlatformAllocation allocate(String deviceId, List<Long> regionSizes, int irqCount) throws DeviceException;
}
