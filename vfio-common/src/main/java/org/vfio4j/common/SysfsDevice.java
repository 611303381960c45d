package org.vfio4j.common;

import java.util.Set;

/**
 * One device of an IOMMU group as sysfs describes it: its name, bus, the driver it is bound to and, for PCI,
 * its IDs and class.
 *
 * <p>Why a record of its own: the viability error, {@code ./vfio4j groups} and tests all need the same facts,
 * and the fix for a device on the wrong driver depends only on these fields.
 *
 * @param name         the sysfs name, e.g. {@code 0000:00:04.0} or {@code 9010000.pl031}
 * @param bus          {@code pci}, {@code platform}, {@code amba}, ...
 * @param driver       the bound driver's name, or {@code ""} when unbound
 * @param vendorDevice {@code vvvv:dddd} for PCI devices, otherwise {@code ""}
 * @param pciClass     the class code as sysfs prints it ({@code 0x020000}), otherwise {@code ""}
 */
public record SysfsDevice(String name, String bus, String driver, String vendorDevice, String pciClass) {
    /** Drivers the kernel accepts in a viable group besides the VFIO ones (see vfio_dev_driver_allowed). */
    private static final Set<String> HARMLESS = Set.of("pci-stub", "pcieport");

    /** The VFIO driver this device's bus uses. */
    public String vfioDriver() {
        return switch (bus) {
            case "platform" -> "vfio-platform";
            case "amba" -> "vfio-amba";
            case "fsl-mc" -> "vfio-fsl-mc";
            default -> "vfio-pci";
        };
    }

    /** True when the device is bound to a VFIO driver. */
    public boolean onVfio() {
        return driver.startsWith("vfio");
    }

    /**
     * True when this device does not make its group non-viable: unbound, on a VFIO driver, on a driver the
     * kernel tolerates, or a PCI bridge (the kernel allows bridges whatever their driver).
     */
    public boolean vfioCompatible() {
        return driver.isEmpty() || onVfio() || HARMLESS.contains(driver) || isPciBridge();
    }

    /** PCI class 0x0604xx (PCI-PCI bridge) or 0x0609xx (semi-transparent bridge). */
    public boolean isPciBridge() {
        return pciClass.startsWith("0x0604") || pciClass.startsWith("0x0609");
    }

    /** The shell commands that move this device to its VFIO driver. */
    public String fix() {
        String dev = "/sys/bus/" + bus + "/devices/" + name;
        String unbind = driver.isEmpty() ? "" : "echo " + name + " > " + dev + "/driver/unbind; ";
        return "echo " + vfioDriver() + " > " + dev + "/driver_override; " + unbind
                + "echo " + name + " > /sys/bus/" + bus + "/drivers_probe";
    }
}
