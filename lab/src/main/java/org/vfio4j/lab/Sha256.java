package org.vfio4j.lab;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 as lowercase hex: the key of every lab cache entry (kernel by config fragment, root by package list,
 * initramfs by init script and busybox, AOT jars by content).
 *
 * <p>Why a class: the digest is made the same way in each of those places, and every JDK has SHA-256, so the
 * checked exception of {@link MessageDigest#getInstance} is handled once here.
 */
final class Sha256 {
    private final MessageDigest md;

    Sha256() {
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Adds {@code data}; returns this. */
    Sha256 update(byte[] data) {
        md.update(data);
        return this;
    }

    /** The digest of everything added, as 64 hex digits. */
    String hex() {
        return HexFormat.of().formatHex(md.digest());
    }

    /** The digest of {@code data} alone. */
    static String of(byte[] data) {
        return new Sha256().update(data).hex();
    }
}
