/**
 * Device types that ship with the machine itself (registered by
 * {@link org.vfio4j.virt.inject.BuiltinDevicesModule}).
 */
@NonNullByDefault
package org.vfio4j.virt.builtin;

import org.eclipse.jdt.annotation.NonNullByDefault;
