/**
 * {@code ./vfio4j groups} and {@code ./vfio4j info}: a small diagnostic command over the library, for the
 * person at the terminal who wants to know which devices can be handed to VFIO and what the kernel says about them.
 */
@NonNullByDefault
package org.vfio4j.common.tool;

import org.eclipse.jdt.annotation.NonNullByDefault;
