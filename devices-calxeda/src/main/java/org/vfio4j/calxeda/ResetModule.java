package org.vfio4j.calxeda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.platform.PlatformSetupException;

/**
 * Whether the host kernel has the Calxeda xgmac reset module for vfio-platform
 * ({@code drivers/vfio/platform/reset/vfio_platform_calxedaxgmac.c}): loaded ({@code /sys/module/NAME}) or
 * built in ({@code /lib/modules/$(uname -r)/modules.builtin}).
 *
 * <p>Why required: vfio-platform has no generic way to reset a platform device; without this module the xgmac
 * keeps the previous owner's DMA rings running into memory that is about to belong to someone else (and by
 * default vfio-platform refuses to bind a device it cannot reset).
 */
final class ResetModule {
    /** The module's name as /sys/module spells it. */
    static final String NAME = "vfio_platform_calxedaxgmac";

    private ResetModule() {
    }

    /**
     * Refuses when the module is neither loaded nor built in.
     *
     * @param sysRoot the sysfs root the host device was found under ({@code /sys} on a real host)
     */
    static void require(@Nullable Path sysRoot) {
        if (sysRoot != null && Files.isDirectory(sysRoot.resolve("module/" + NAME))) {
            return;
        }
        if (sysRoot != null && sysRoot.equals(Path.of("/sys")) && builtIn()) {
            return;
        }
        throw new PlatformSetupException("the host kernel has no Calxeda xgmac reset module (" + NAME + " is not in "
                + (sysRoot == null ? "/sys" : sysRoot) + "/module nor built in): vfio-platform cannot reset the xgmac "
                + "between owners without it. Load it with: modprobe vfio-platform-calxedaxgmac (kernel option "
                + "CONFIG_VFIO_PLATFORM_CALXEDAXGMAC_RESET), then rebind the device to vfio-platform");
    }

    private static boolean builtIn() {
        try {
            String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
            Path builtin = Path.of("/lib/modules", release, "modules.builtin");
            if (!Files.isRegularFile(builtin)) {
                return false;
            }
            return Files.readAllLines(builtin).stream().anyMatch(l -> l.endsWith("/" + NAME + ".ko")
                    || l.endsWith("/" + NAME.replace('_', '-') + ".ko"));
        } catch (IOException e) {
            return false;
        }
    }

    /** The sysfs root above a device directory: the nearest ancestor holding both {@code devices} and {@code bus}. */
    static @Nullable Path sysRootOf(Path deviceDir) {
        for (Path p = deviceDir.getParent(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("devices")) && Files.isDirectory(p.resolve("bus"))) {
                return p;
            }
        }
        return null;
    }
}
