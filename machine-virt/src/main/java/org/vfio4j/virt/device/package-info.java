/**
 * Devices created at run time from {@code -device TYPE,prop=val,...}: the {@link
 * org.vfio4j.virt.device.DeviceType} SPI that built-in modules and plugin jars register by name, the
 * property schema and parsing, the registry, and the platform bus from which sysbus devices get MMIO
 * space and SPIs.
 *
 * <p>A device type sees only small consumer-side interfaces ({@link
 * org.vfio4j.virt.device.PlatformBus}); the machine keeps the rest.
 */
@NonNullByDefault
package org.vfio4j.virt.device;

import org.eclipse.jdt.annotation.NonNullByDefault;
