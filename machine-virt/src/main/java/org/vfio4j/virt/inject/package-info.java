/**
 * The Guice modules that assemble the virt machine, one per machine part: each binds
 * its part as a singleton with constructor injection; {@link org.vfio4j.virt.inject.VirtModules}
 * lists them, plus the built-in device types and the plugin jars' modules.
 */
@NonNullByDefault
package org.vfio4j.virt.inject;

import org.eclipse.jdt.annotation.NonNullByDefault;
