package org.vfio4j.pci;

/**
 * One MSI/MSI-X message as the guest programmed it: the address to write and the data to write.
 *
 * <p>Why a record: the machine turns it into an interrupt (e.g. a KVM MSI route with the ITS device
 * id) and the model compares old and new messages to decide whether a route needs updating.
 *
 * @param address the 64-bit message address
 * @param data the 32-bit message data (MSI uses the low 16 bits)
 */
public record MsiMessage(long address, int data) {
    @Override
    public String toString() {
        return String.format("MsiMessage[address=0x%x, data=0x%x]", address, data);
    }
}
