package org.vfio4j.common;

/**
 * Where a device interrupt goes in the guest. Sealed: a machine routes either a wired line (a GIC SPI, an
 * IOAPIC pin, a PCI INTx after swizzling) or a message-signalled interrupt (address/data as the guest
 * programmed them).
 */
public sealed interface GuestInterrupt {
    /** A wired interrupt line, numbered in the machine's interrupt space (e.g. the GSI / SPI number). */
    record Line(int number) implements GuestInterrupt {
        public Line {
            if (number < 0) {
                throw new IllegalArgumentException("interrupt line must be >= 0, got " + number);
            }
        }
    }

    /** A message-signalled interrupt with the address and data the guest wrote into MSI/MSI-X. */
    record Msi(long address, int data) implements GuestInterrupt {
    }
}
