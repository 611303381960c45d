package org.vfio4j.common.lab;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.vfio4j.common.DmaBuffer;
import org.vfio4j.common.DmaPermission;
import org.vfio4j.common.VfioContainer;
import org.vfio4j.common.VfioException;
import org.vfio4j.common.VfioGroup;

/**
 * The edu DMA round trip as a program of its own, so a lab test can run it as an unprivileged user with a
 * chosen RLIMIT_MEMLOCK. Needs only vfio-common on the class path. Prints {@code ROUNDTRIP OK} and exits 0, or
 * prints the library's message and exits 1.
 *
 * <p>Usage: {@code EduRoundTripMain GROUP BDF}
 */
public final class EduRoundTripMain {
    private EduRoundTripMain() {
    }

    public static void main(String[] args) {
        int group = Integer.parseInt(args[0]);
        String bdf = args[1];
        try (VfioContainer c = VfioContainer.open();
                VfioGroup g = c.attach(group);
                Edu edu = new Edu(g.openDevice(bdf));
                DmaBuffer src = c.allocate(4096, DmaPermission.READ_WRITE);
                DmaBuffer dst = c.allocate(4096, DmaPermission.READ_WRITE)) {
            System.out.println(roundTrip(edu, src, dst, 0x5eed));
        } catch (VfioException e) {
            System.out.println("FAILED: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Bytes per round trip: half of edu's buffer (see {@link Edu#MAX_DMA}). */
    public static final int BYTES = 2048;

    /**
     * Fills {@code src} with a pattern, DMAs {@link #BYTES} of it through edu into {@code dst} (zeroed first)
     * and returns a verdict line: the copied bytes must match and the rest of {@code dst} stay zero.
     */
    public static String roundTrip(Edu edu, DmaBuffer src, DmaBuffer dst, int seed) {
        MemorySegment s = src.segment();
        for (int i = 0; i < 1024; i++) {
            s.setAtIndex(ValueLayout.JAVA_INT, i, seed * 31 + i * 0x01010101);
        }
        dst.segment().fill((byte) 0);
        edu.toDevice(src.iova(), BYTES);
        edu.toRam(dst.iova(), BYTES);
        long mismatch = s.asSlice(0, BYTES).mismatch(dst.segment().asSlice(0, BYTES));
        if (mismatch != -1) {
            return "ROUNDTRIP MISMATCH at byte " + mismatch;
        }
        long stray = dst.segment().asSlice(BYTES).mismatch(MemorySegment.ofArray(new byte[(int) dst.size() - BYTES]));
        return stray == -1 ? "ROUNDTRIP OK" : "ROUNDTRIP WROTE PAST THE END at byte " + (BYTES + stray);
    }
}
