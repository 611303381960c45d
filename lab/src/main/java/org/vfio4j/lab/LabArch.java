package org.vfio4j.lab;

/**
 * The architectures a lab host can have: which QEMU, kernel and root a lab run boots.
 *
 * <p>Why an enum: the set is closed (one lab per architecture this project targets), and test
 * classes pick one with {@code @LabTest(arch = LabArch.AARCH64)}.
 */
public enum LabArch {
    /** q35 + intel-iommu, Debian bookworm's 6.12 amd64 kernel, this machine's {@code /} as root. */
    X86_64("x86_64"),
    /**
     * virt (EL2, GICv3, SMMUv3), the lab's own 6.12 arm64 kernel, a Debian trixie arm64 root
     * ({@link Arm64Lab}).
     */
    AARCH64("aarch64");

    /**
     * The JUnit tag every class that runs in the aarch64 lab carries besides {@code lab}: the test command runs
     * those classes after all others, because the aarch64 lab is prepared (a kernel build, minutes) while the
     * others run. {@link LabExtension} refuses an aarch64 class without it.
     */
    public static final String AARCH64_TAG = "aarch64";

    private final String id;

    LabArch(String id) {
        this.id = id;
    }

    /** The name used in cache paths, {@code --arch} and the lab host's {@value Lab#ENV}: "x86_64", "aarch64". */
    public String id() {
        return id;
    }

    /** The architecture named {@code s} ({@code --arch} values), or a clear error. */
    static LabArch parse(String s) {
        for (LabArch a : values()) {
            if (a.id.equals(s) || (a == AARCH64 && s.equals("arm64")) || (a == X86_64 && s.equals("x86"))) {
                return a;
            }
        }
        throw new IllegalArgumentException("--arch wants x86_64 or aarch64, not '" + s + "'");
    }
}
