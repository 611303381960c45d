/**
 * Devices the VMM emulates in user space (the PL011 console) and the MMIO bus that dispatches a vCPU's
 * MMIO exits to them by guest-physical address. Free of KVM, so unit-tested on any host.
 */
@NonNullByDefault
package org.vfio4j.virt.emu;

import org.eclipse.jdt.annotation.NonNullByDefault;
