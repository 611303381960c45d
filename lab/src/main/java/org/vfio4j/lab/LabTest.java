package org.vfio4j.lab;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class whose body runs inside a lab host (x86_64 unless {@link #arch()} says otherwise; root, real /dev/vfio,
 * the default {@link LabDevice} topology), with {@link LabHost} available as a test method parameter.
 *
 * <p>Why a class-level annotation: a lab host boot and an in-lab JVM cost seconds under TCG, so
 * {@link LabExtension} boots one lab host per class, runs all of the class's tests there in one
 * JVM, and reports each method's outcome on the build host. Tagged {@code lab} so builds can
 * select or exclude lab tests ({@code -Dgroups=lab}, {@code -DexcludedGroups=lab}).
 *
 * {@snippet :
 * @LabTest
 * class EduLabTest {
 *     @Test void group(LabHost host) {
 *         assertFalse(host.bindToVfio(LabDevice.EDU).isEmpty());
 *     }
 * }
 * }
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Tag("lab")
@ExtendWith(LabExtension.class)
public @interface LabTest {
    /**
     * The lab host the class runs in: {@link LabArch#X86_64} (default) or {@link LabArch#AARCH64}
     * (the arm64 root's JRE, the repo and Maven repository at the same paths).
     */
    LabArch arch() default LabArch.X86_64;
}
