/**
 * The native floor of vfio4j: Linux system calls as Panama FFM downcalls with {@code errno} captured,
 * ioctl number encoding, and {@link java.lang.foreign.MemoryLayout} constants for the {@code linux/vfio.h}
 * and {@code linux/kvm.h} structures the library exchanges with the kernel.
 *
 * <p>Nothing here knows what a container or a device is; the classes in {@code org.vfio4j.common} give these
 * calls their meaning. The layouts are checked against the build host's own kernel headers by a unit test
 * that compiles a C program printing {@code sizeof}/{@code offsetof} for every field used here.
 */
@NonNullByDefault
package org.vfio4j.common.sys;

import org.eclipse.jdt.annotation.NonNullByDefault;
