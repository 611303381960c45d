package org.vfio4j.virt.kvm;

/**
 * One entry of the VM's GSI routing table (KVM_SET_GSI_ROUTING): a GSI either drives a vGIC SPI (irqchip
 * route; on arm64 pin {@code n} is SPI {@code n}, INTID 32 + n) or sends an MSI to the ITS with the device
 * id the ITS translates ({@code KVM_MSI_VALID_DEVID}).
 *
 * @param type {@link ArmKvmAbi#KVM_IRQ_ROUTING_IRQCHIP} or {@link ArmKvmAbi#KVM_IRQ_ROUTING_MSI}
 */
public record GsiRoute(int gsi, int type, int pin, long msiAddress, int msiData, int devid) {
    /** GSI {@code gsi} raises SPI {@code spi}. */
    public static GsiRoute spi(int gsi, int spi) {
        return new GsiRoute(gsi, ArmKvmAbi.KVM_IRQ_ROUTING_IRQCHIP, spi, 0, 0, 0);
    }

    /** GSI {@code gsi} writes {@code data} to the ITS doorbell {@code address} as device {@code devid}. */
    public static GsiRoute msi(int gsi, long address, int data, int devid) {
        return new GsiRoute(gsi, ArmKvmAbi.KVM_IRQ_ROUTING_MSI, 0, address, data, devid);
    }
}
