/**
 * Running an assembled machine on KVM: guest RAM, loading Image/initrd/DTB per the arm64 boot protocol, one
 * thread per vCPU, MMIO dispatch to the emulated devices, and teardown on power-off, crash or SIGTERM.
 */
@NonNullByDefault
package org.vfio4j.virt.run;

import org.eclipse.jdt.annotation.NonNullByDefault;
