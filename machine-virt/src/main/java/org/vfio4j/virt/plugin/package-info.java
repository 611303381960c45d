/**
 * Device-type plugin jars: each jar in a {@code -plugins} directory is opened in its own class loader
 * and asked, through {@link java.util.ServiceLoader}, for its {@link
 * org.vfio4j.virt.plugin.DevicePlugin}s, whose Guice modules register device types.
 */
@NonNullByDefault
package org.vfio4j.virt.plugin;

import org.eclipse.jdt.annotation.NonNullByDefault;
