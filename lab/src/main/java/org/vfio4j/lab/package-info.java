/**
 * The VFIO lab: a Linux host under QEMU software emulation with an emulated IOMMU, in which tests, benchmarks and the demo drive the real kernel VFIO. Test infrastructure only; no framework module depends on it at run time.
 */
@NonNullByDefault
package org.vfio4j.lab;

import org.eclipse.jdt.annotation.NonNullByDefault;
