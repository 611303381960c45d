/**
 * QMP, QEMU's machine protocol, on UNIX sockets: the greeting, capability negotiation, commands with QEMU's
 * argument and reply shapes, and the run-state events, so libvirt-style managers and QEMU's own client library
 * drive machine-virt unchanged. Nothing here is loaded unless {@code -qmp} (or {@code -mon}) is given.
 */
@NonNullByDefault
package org.vfio4j.virt.qmp;

import org.eclipse.jdt.annotation.NonNullByDefault;
