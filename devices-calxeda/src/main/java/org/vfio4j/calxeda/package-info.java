/**
 * A device plugin jar: the Calxeda xgmac as a specialised vfio-platform device, loaded by machine-virt from its plugin path.
 */
@NonNullByDefault
package org.vfio4j.calxeda;

import org.eclipse.jdt.annotation.NonNullByDefault;
