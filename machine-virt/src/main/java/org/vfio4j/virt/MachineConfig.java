package org.vfio4j.virt;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.eclipse.jdt.annotation.Nullable;
import org.vfio4j.virt.device.DeviceSpec;

/**
 * The machine's configuration as the command line gave it, bound in Guice so every part reads the
 * same values.
 *
 * @param kernel    null only when the command line asks for help (nothing is built then)
 * @param dumpDtb   {@code -machine dumpdtb=FILE}: write the DTB there and exit
 * @param ramBackend what backs guest RAM ({@code -object memory-backend-*} with {@code -machine memory-backend=}, {@code -mem-path})
 */
public record MachineConfig(long ramBytes, int cpus, @Nullable Path kernel, @Nullable Path initrd, String append,
        List<DeviceSpec> devices, @Nullable Path dumpDtb, List<Path> pluginDirs, RamBackend ramBackend,
        Map<String, IommufdObject> iommufds) {

    public MachineConfig {
        devices = List.copyOf(devices);
        pluginDirs = List.copyOf(pluginDirs);
        iommufds = Map.copyOf(iommufds);
    }

    /** A configuration without {@code -object iommufd}. */
    public MachineConfig(long ramBytes, int cpus, @Nullable Path kernel, @Nullable Path initrd, String append,
            List<DeviceSpec> devices, @Nullable Path dumpDtb, List<Path> pluginDirs, RamBackend ramBackend) {
        this(ramBytes, cpus, kernel, initrd, append, devices, dumpDtb, pluginDirs, ramBackend, Map.of());
    }

    /** A configuration with guest RAM in anonymous memory. */
    public MachineConfig(long ramBytes, int cpus, @Nullable Path kernel, @Nullable Path initrd, String append,
            List<DeviceSpec> devices, @Nullable Path dumpDtb, List<Path> pluginDirs) {
        this(ramBytes, cpus, kernel, initrd, append, devices, dumpDtb, pluginDirs, RamBackend.ANONYMOUS);
    }

    /**
     * The kernel path, after checking that {@code -kernel} was given and names a readable file (and
     * that an {@code -initrd} does too).
     */
    public Path requireBootFiles() throws UsageException {
        Path k = kernel;
        if (k == null) {
            throw new UsageException("-kernel is required: give the guest kernel Image, e.g. -kernel /boot/vmlinuz-arm64");
        }
        checkFile("-kernel", k);
        Path i = initrd;
        if (i != null) {
            checkFile("-initrd", i);
        }
        return k;
    }

    private static void checkFile(String option, Path p) throws UsageException {
        if (!Files.exists(p)) {
            throw new UsageException(option + " " + p + ": no such file");
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new UsageException(option + " " + p + ": not a readable regular file");
        }
    }
}
